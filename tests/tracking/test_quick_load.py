"""The quick load of record bodies is marshmallow's load: the same body, key order included, or
the same field errors, for clean and hostile bodies alike (no database, no app)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.tracking.services import INPUTS
from server.validation import OptionalList
from server.validation.quick import quick_loader

VALID = {
    "id": ["5f0c7a52-3c1e-4f5e-9a57-1d2b8c3e4f01", "5F0C7A523C1E4F5E9A571D2B8C3E4F01"],
    "recorded_at": ["2026-12-06T07:30:00+03:00", "2026-12-06T04:30:00.123456Z"],
    "started_at": ["2026-12-06T06:00:00+03:00"],
    "date": ["2026-12-06"],
    "score": [0, 3, 10],
    "intensity": [5, 0, 10],
    "exertion": [4, None, 10],
    "pain_during": [2, None, 0],
    "pain_after": [0, 10],
    "duration_minutes": [1, 90, 7 * 24 * 60],
    "context": ["morning", "now"],
    "side": ["left", "both"],
    "slot": ["morning", "x" * 40],
    "status": ["completed", "skipped"],
    "notes": ["sore neck", None, "", "boyun ağrısı"],
    "triggers": [["screen"], [], None],
    "medication_taken": [True, False],
    "items": [
        [{"item_id": "9d1e0b7a-4c2f-4e8a-8b1d-2f3a4b5c6d7e", "sets_done": 2, "reps_done": 10}],
        [{"item_id": "9d1e0b7a-4c2f-4e8a-8b1d-2f3a4b5c6d7e", "sets_done": 100, "reps_done": 0}],
        [{"item_id": "9d1e0b7a-4c2f-4e8a-8b1d-2f3a4b5c6d7e", "sets_done": 0, "reps_done": 1000}],
        [],
        None,
    ],
    "answers": [{"thunderclap": False}, {"neuro_deficit": True, "fever_neck_stiffness": False}],
}
HOSTILE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.sampled_from(
        [
            "",
            "\x00",
            "morning\x00",
            "\ud800",
            "2026-13-01",
            "2026-12-06T07:30:00",
            "1999-12-31T23:59:59+00:00",
            "2101-01-01T00:00:00+00:00",
            "2026-12-06T07:30:00+03:00\x00",
            "1",
            "true",
            "nope",
            "y" * 2001,
        ]
    ),
    st.text(max_size=8),
    st.lists(st.one_of(st.none(), st.integers(), st.text(max_size=4)), max_size=3),
    st.dictionaries(st.text(max_size=8), st.one_of(st.booleans(), st.integers()), max_size=3),
)


def _body(kind: str) -> st.SearchStrategy[dict[str, Any]]:
    names = list(INPUTS[kind].load_fields)

    def value(name: str) -> st.SearchStrategy[Any]:
        return st.one_of(st.sampled_from(VALID.get(name, [None])), HOSTILE)

    entries = {name: st.one_of(st.just(ma.missing), value(name), value(name)) for name in names}
    extra = st.dictionaries(st.sampled_from(["kind", "extra", "Id"]), HOSTILE, max_size=1)
    return st.builds(
        lambda chosen, unknown: {
            **{k: v for k, v in chosen.items() if v is not ma.missing},
            **unknown,
        },
        st.fixed_dictionaries(entries),
        extra,
    )


def _marshmallows(schema: ma.Schema) -> Any:
    """The schema's load by marshmallow itself, past :class:`QuickLoad`."""
    return lambda data: ma.Schema.load(schema, data)


def _outcome(load, data: Any) -> tuple[str, Any]:
    try:
        loaded = load(data)
    except ma.ValidationError as error:
        return "errors", error.normalized_messages()
    return "body", (list(loaded), loaded)


@pytest.mark.parametrize("kind", sorted(INPUTS))
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_quick_load_is_marshmallows_load(kind: str, data: st.DataObject) -> None:
    body = data.draw(_body(kind))
    assert _outcome(INPUTS[kind].load, body) == _outcome(_marshmallows(INPUTS[kind]), body)


@pytest.mark.parametrize("kind", sorted(INPUTS))
def test_a_clean_body_is_loaded_without_marshmallow(kind: str, monkeypatch) -> None:
    clean = {name: VALID[name][0] for name in INPUTS[kind].load_fields}
    expected = _marshmallows(INPUTS[kind])(clean)
    fresh = type(INPUTS[kind])()  # QuickLoad binds marshmallow's load on the first load
    monkeypatch.setattr(ma.Schema, "load", lambda *_, **__: pytest.fail("not quick"))
    assert fresh.load(clean) == expected


@pytest.mark.parametrize("kind", sorted(INPUTS))
def test_every_valid_value_is_loaded_without_marshmallow(kind: str, monkeypatch) -> None:
    """Each example value, the bounds of every range included, in an otherwise clean body: a
    value the quick load doubts goes to marshmallow, which the hypothesis test cannot see."""
    clean = {name: VALID[name][0] for name in INPUTS[kind].load_fields}
    bodies = [{**clean, name: value} for name in clean for value in VALID[name][1:]]
    expected = [_marshmallows(INPUTS[kind])(body) for body in bodies]
    fresh = type(INPUTS[kind])()
    monkeypatch.setattr(ma.Schema, "load", lambda *_, **__: pytest.fail("not quick"))
    assert [fresh.load(body) for body in bodies] == expected


@pytest.mark.parametrize("data", [None, [], "x", 3, {"id": True}])
def test_what_is_not_a_clean_body_gets_marshmallows_errors(data: Any) -> None:
    schema = INPUTS["pain_rating"]
    assert _outcome(schema.load, data) == _outcome(_marshmallows(schema), data)


def test_a_schema_with_hooks_is_left_to_marshmallow() -> None:
    class Hooked(ma.Schema):
        notes = OptionalList(ma.fields.String())

        @ma.pre_load
        def strip(self, data: Any, **_: Any) -> Any:
            return data

    schema = Hooked()
    assert quick_loader(schema) == schema.load
