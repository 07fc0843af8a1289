"""Pure rules of patient records: digests, time window, idempotency outcomes, guidance."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.tracking.digests import _digest_text, body_digest
from server.tracking.rules import (
    CONFLICT,
    CREATED,
    DUPLICATE,
    SYMPTOM_KEYS,
    Candidate,
    Prescription,
    Stored,
    classify,
    envelope_errors,
    is_urgent,
    session_log_errors,
    symptom_guidance,
    time_window_errors,
)

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
ME, OTHER = uuid.uuid4(), uuid.uuid4()


def test_digest_ignores_offset_spelling_key_order_and_nulls() -> None:
    rid = uuid.uuid4()
    istanbul = timezone(timedelta(hours=3))
    a = {"id": rid, "recorded_at": NOW, "score": 3, "context": "now", "notes": None}
    b = {"context": "now", "score": 3, "recorded_at": NOW.astimezone(istanbul), "id": rid}
    assert body_digest("pain_rating", a) == body_digest("pain_rating", b)


def test_digest_changes_with_any_value_or_kind() -> None:
    body = {"id": uuid.uuid4(), "recorded_at": NOW, "score": 3, "context": "now"}
    assert body_digest("pain_rating", body) != body_digest("pain_rating", {**body, "score": 4})
    assert body_digest("pain_rating", body) != body_digest("posture_break", body)


@pytest.mark.parametrize(
    ("recorded_at", "error"),
    [
        (NOW + timedelta(minutes=5), None),
        (NOW + timedelta(minutes=5, seconds=1), "future"),
        (NOW - timedelta(days=60), None),
        (NOW - timedelta(days=60, seconds=1), "60 days"),
    ],
)
def test_time_window_edges(recorded_at: datetime, error: str | None) -> None:
    errors = time_window_errors({"recorded_at": recorded_at}, NOW)
    if error is None:
        assert errors == {}
    else:
        assert error in errors["recorded_at"][0]


def test_session_date_may_not_be_in_the_future_or_too_old() -> None:
    today = date(2026, 5, 1)
    body = {"recorded_at": NOW}
    assert time_window_errors({**body, "date": today}, NOW, local_today=today) == {}
    assert "date" in time_window_errors({**body, "date": date(2026, 5, 2)}, NOW, local_today=today)
    old = date(2026, 3, 1)
    assert "date" in time_window_errors({**body, "date": old}, NOW, local_today=today)


def test_classify_table() -> None:
    a, b, c, d = (uuid.uuid4() for _ in range(4))
    stored = {
        a: Stored("pain_rating", ME, "digest-a"),
        b: Stored("pain_rating", ME, "digest-b"),
        c: Stored("pain_rating", OTHER, "digest-c"),
    }
    candidates = [
        Candidate(a, "pain_rating", "digest-a"),  # identical replay
        Candidate(b, "pain_rating", "changed"),  # same id, other body
        Candidate(c, "pain_rating", "digest-c"),  # another patient's id
        Candidate(a, "posture_break", "digest-a"),  # same id, other kind
        Candidate(d, "pain_rating", "digest-d"),  # new
        Candidate(d, "pain_rating", "digest-d"),  # new, repeated in the batch
        Candidate(d, "pain_rating", "other"),  # new id, conflicting repeat
    ]
    assert classify(candidates, stored, ME) == [
        DUPLICATE,
        CONFLICT,
        CONFLICT,
        CONFLICT,
        CREATED,
        DUPLICATE,
        CONFLICT,
    ]


ids = st.sampled_from([uuid.UUID(int=n) for n in range(1, 5)])
digests = st.sampled_from(["x", "y"])


@settings(max_examples=200)
@given(st.lists(st.tuples(ids, digests), max_size=20))
def test_classify_creates_each_id_at_most_once_and_first_wins(items) -> None:
    candidates = [Candidate(i, "pain_rating", d) for i, d in items]
    outcomes = classify(candidates, {}, ME)
    first: dict[uuid.UUID, str] = {}
    for (record_id, digest), outcome in zip(items, outcomes, strict=True):
        if record_id not in first:
            first[record_id] = digest
            assert outcome == CREATED
        else:
            assert outcome == (DUPLICATE if digest == first[record_id] else CONFLICT)


def test_urgent_when_any_answer_is_positive() -> None:
    assert not is_urgent({})
    assert not is_urgent(dict.fromkeys(SYMPTOM_KEYS, False))
    for key in SYMPTOM_KEYS:
        assert is_urgent({key: True})


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", ["emergency department", "Do not do your exercises"]), ("tr", ["acil servis"])],
)
def test_urgent_guidance_names_the_number_and_says_not_to_exercise(language, words) -> None:
    text = symptom_guidance(True, language, "911")
    assert "911" in text
    for word in words:
        assert word in text
    assert "112" in symptom_guidance(True, language, None)
    assert "911" not in symptom_guidance(False, language, "911")


@pytest.mark.parametrize(
    ("item", "fields"),
    [
        ({"kind": "pain_rating", "data": {}}, set()),
        ("text", {"_schema"}),
        ({"kind": "pain_rating"}, {"data"}),
        ({"data": {}}, {"kind"}),
        ({"kind": 3, "data": []}, {"kind", "data"}),
        ({"kind": "pain_rating", "data": {}, "extra": 1}, {"extra"}),
    ],
)
def test_sync_envelope(item, fields) -> None:
    assert set(envelope_errors(item)) == fields


# --- logged items against the prescription ---------------------------------------------------

DAY = date(2026, 5, 1)
MORNING, EVENING, ANY_SLOT, UNKNOWN = (uuid.uuid4() for _ in range(4))
PRESCRIBED = Prescription(
    programme_id=uuid.uuid4(),
    revision_number=2,
    items=[
        {"item_id": str(MORNING), "slots": ["morning"]},
        {"item_id": str(EVENING), "slots": ["evening"]},
        {"item_id": str(ANY_SLOT), "slots": None},
    ],
    slots=frozenset({"morning", "lunch", "evening"}),
)


def _logged(*item_ids: uuid.UUID) -> list[dict]:
    return [{"item_id": item_id, "sets_done": 1, "reps_done": 5} for item_id in item_ids]


@pytest.mark.parametrize(
    ("slot", "logged", "prescription", "messages"),
    [
        ("morning", [], PRESCRIBED, None),
        ("morning", [], None, None),
        ("morning", [MORNING, ANY_SLOT], PRESCRIBED, None),
        ("evening", [EVENING, ANY_SLOT], PRESCRIBED, None),
        ("lunch", [ANY_SLOT], PRESCRIBED, None),
        ("morning", [EVENING], PRESCRIBED, [f"Item {EVENING} is not part of the morning session."]),
        ("lunch", [MORNING], PRESCRIBED, [f"Item {MORNING} is not part of the lunch session."]),
        (
            "morning",
            [MORNING, UNKNOWN, UNKNOWN],
            PRESCRIBED,
            [f"Item {UNKNOWN} was never prescribed by 2026-05-01."],
        ),
        (
            "morning",
            [MORNING],
            None,
            ["No programme was in force on 2026-05-01; log this session without items."],
        ),
        ("night", [], None, None),
    ],
)
def test_session_items_must_be_prescribed_for_the_slot(
    slot: str, logged: list, prescription: Prescription | None, messages: list[str] | None
) -> None:
    errors = session_log_errors(_logged(*logged), slot, DAY, prescription)
    assert errors == ({"items": messages} if messages else {})


@pytest.mark.parametrize("logged", [[], [ANY_SLOT]])
def test_a_slot_no_schedule_names_is_refused(logged: list) -> None:
    errors = session_log_errors(_logged(*logged), "night", DAY, PRESCRIBED)
    assert errors == {"slot": ["No schedule in force by 2026-05-01 has a night session."]}


@given(
    slots=st.lists(st.sampled_from(["morning", "evening", None]), min_size=1, max_size=5),
    picks=st.lists(st.integers(0, 5), max_size=6),
    slot=st.sampled_from(["morning", "evening"]),
)
def test_session_items_are_accepted_exactly_when_all_are_in_the_slot(slots, picks, slot) -> None:
    items = [
        {"item_id": str(uuid.UUID(int=n + 1)), "slots": [s] if s else None}
        for n, s in enumerate(slots)
    ]
    logged = _logged(*(uuid.UUID(int=pick + 1) for pick in picks))
    in_slot = {i["item_id"] for i in items if i["slots"] in (None, [slot])}
    prescription = Prescription(uuid.uuid4(), 1, items, frozenset({"morning", "evening"}))

    errors = session_log_errors(logged, slot, DAY, prescription)

    assert (errors == {}) == all(str(i["item_id"]) in in_slot for i in logged)
    assert len(errors.get("items", [])) == len({str(i["item_id"]) for i in logged} - in_slot)


def test_digests_of_stored_records_never_change() -> None:
    """Digests are stored: a faster digest must give the same hex, or every replay of a
    record stored before it would be a conflict (values computed before the quick paths)."""
    rid = uuid.UUID("5f0c7a52-3c1e-4f5e-9a57-1d2b8c3e4f01")
    item = uuid.UUID("9d1e0b7a-4c2f-4e8a-8b1d-2f3a4b5c6d7e")
    at = datetime(2026, 12, 6, 8, 20, 0, 123456, tzinfo=timezone(timedelta(hours=3)))
    log = {
        "id": rid,
        "recorded_at": at,
        "date": date(2026, 12, 6),
        "slot": "morning",
        "status": "completed",
        "items": [{"item_id": item, "sets_done": 2, "reps_done": 10}],
        "exertion": None,
        "pain_during": 2,
        "pain_after": None,
        "notes": 'boyun ağrısı \u2028 "x"',
    }
    headache = {
        "id": rid,
        "recorded_at": at,
        "started_at": at - timedelta(minutes=90),
        "duration_minutes": 90,
        "intensity": 5,
        "side": "left",
        "triggers": ["screen"],
        "medication_taken": False,
        "notes": None,
    }
    check = {"id": rid, "recorded_at": at, "answers": {"thunderclap": False, "neuro_deficit": True}}
    assert body_digest("session_log", log) == (
        "19660d3cb40018888f92d61384009d7653a6290d69676f8ec8ac47b80eb68ae5"
    )
    assert body_digest("headache_entry", headache) == (
        "eaeee0c5de06f72ad6b8aff2ff7b86eb04ffd3fa6d1a4a773bdebf2aaef70abc"
    )
    assert body_digest("symptom_check", check) == (
        "7fc55ebe7b12ed74eee80c8df441bee5bbc20956873eebf1549659190ed91807"
    )


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(json_values)
def test_digest_text_is_the_digest_encoders_own(value) -> None:
    """The digest's encoder, made once, writes what ``json.dumps`` with its options writes."""
    expected = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert _digest_text(value) == expected
