"""A page dumped by a plan (``serialization.Compiled``) is exactly what marshmallow dumps."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import marshmallow as ma
import pytest
from marshmallow import fields

from server.accounts.queries import PatientSummary, PatientView, no_open_flags
from server.accounts.schemas import PatientOut
from server.pagination import page_of
from server.serialization import Instant, Rounded, Whole, dump_plan


def patient(n: int, **changes: Any) -> SimpleNamespace:
    values = {
        "id": uuid.uuid4(),
        "name": f"Patient {n}",
        "email": f"p{n}@mail.example",
        "timezone": "Europe/Istanbul",
        "language": "tr" if n % 2 else "en",
        "birth_year": 1970 + n,
        "therapist_id": uuid.uuid4(),
        "activated": bool(n % 3),
        "created_at": datetime(2026, 1, 2, 3, 4, 5, n, tzinfo=UTC),
    }
    return SimpleNamespace(**{**values, **changes})


VIEWS = [
    PatientView(patient(0, birth_year=None, therapist_id=None), PatientSummary()),
    PatientView(
        patient(1),
        PatientSummary(
            adherence_7d=2 / 3,
            pain_7d_mean=4.456,
            open_flags={**no_open_flags(), "urgent": 1, "info": 3},
            last_activity_at=datetime(2026, 1, 3, 4, 5, 6, tzinfo=timezone(timedelta(hours=3))),
            outcomes=[
                {"measure": "ndi", "score": 24, "change": None, "interpretation": None},
                {"measure": "psfs", "score": 6.5, "change": 1.5, "interpretation": "improved"},
            ],
        ),
    ),
    PatientView(patient(2, created_at=datetime(2026, 1, 2)), PatientSummary(adherence_7d=0)),
]


def test_the_planned_patient_page_dumps_as_marshmallow_does() -> None:
    page = {"items": VIEWS, "next_cursor": "abc"}

    planned = page_of(PatientOut, "PlannedPage", planned=True)().dump(page)

    assert planned == page_of(PatientOut, "PlainPage")().dump(page)
    assert planned["items"][1]["outcomes"][1]["change"] == 1.5


class Inner(ma.Schema):
    a = fields.Integer()
    b = fields.String(attribute="deep.b", data_key="bee")


class Hooked(ma.Schema):
    a = fields.Integer()

    @ma.post_dump
    def mark(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {**data, "hooked": True}


class Outer(ma.Schema):
    uid = fields.UUID(allow_none=True)
    when = Instant(allow_none=True)
    ratio = Rounded(2, allow_none=True)
    flag = fields.Boolean()
    absent = fields.String()
    defaulted = fields.Integer(dump_default=7)
    computed = fields.Method("compute")
    constant = fields.Constant("c")
    inner = fields.Nested(Inner, allow_none=True)
    inners = fields.List(fields.Nested(Inner))
    many = fields.Nested(Inner, many=True)
    hooked = fields.Nested(Hooked)
    whole = Whole(Inner)
    raw = fields.Raw()

    def compute(self, obj: Any) -> str:
        return f"{obj['uid']}!"


@pytest.mark.parametrize(
    "obj",
    [
        {
            "uid": uuid.uuid4(),
            "when": datetime(2026, 5, 6, 7, 8, 9),
            "ratio": 1 / 3,
            "flag": 1,
            "inner": {"a": "3", "deep": {"b": 5}},
            "inners": [{"a": 1, "deep": {"b": "x"}}, None, {"a": 2}],
            "many": [{"a": 4}],
            "hooked": {"a": 1},
            "a": 9,
            "raw": {"k": [1, 2]},
            "defaulted": True,  # an Integer given a bool: int(True), as marshmallow gives
            "absent": b"bytes",  # a String given bytes: decoded
        },
        {"uid": None, "when": None, "ratio": None, "flag": None, "inner": None, "inners": None},
    ],
)
def test_a_plan_dumps_any_schema_as_marshmallow_does(obj: dict[str, Any]) -> None:
    schema = Outer()

    assert dump_plan(schema)(obj) == schema.dump(obj)


def test_a_schema_with_dump_hooks_is_left_to_marshmallow() -> None:
    schema = Hooked()

    assert dump_plan(schema) == schema.dump
    assert dump_plan(schema)({"a": 1}) == {"a": 1, "hooked": True}
