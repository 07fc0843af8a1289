"""Patient records through the API: 201 then 200 on replay, 409 on conflict, 422 on bad input."""

from __future__ import annotations

import json
import re
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import marshmallow as ma
import pytest
import sqlalchemy as sa

from server.accounts.models import Patient
from server.audit.models import AuditEvent
from server.extensions import db
from server.flags.models import Flag
from server.tracking import store
from server.tracking.models import PainRating, SessionLog, SymptomCheck
from server.tracking.schemas import OUTPUTS
from tests.conftest import count
from tests.tracking.conftest import (
    BODIES,
    PATHS,
    iso,
    now_utc,
    pain_body,
    session_body,
    symptom_body,
)

PROBLEM = "application/problem+json"


@pytest.mark.parametrize("kind", list(BODIES))
def test_create_then_identical_replay_returns_the_same_body(client, patient, kind) -> None:
    body = BODIES[kind]()
    first = client.post(PATHS[kind], json=body, headers=patient.headers)
    replay = client.post(PATHS[kind], json=body, headers=patient.headers)

    assert first.status_code == 201, first.json
    assert replay.status_code == 200
    assert replay.json == first.json
    assert first.json["id"] == body["id"]
    assert {"recorded_at", "received_at", "local_date"} <= set(first.json)


@pytest.mark.parametrize("kind", list(BODIES))
def test_the_planned_answer_is_marshmallows_dump_of_the_stored_record(
    client, patient, app, kind
) -> None:
    body = BODIES[kind]()
    response = client.post(PATHS[kind], json=body, headers=patient.headers)

    with app.app_context():
        row = store.load_row(kind, uuid.UUID(body["id"]))
        if kind == "symptom_check":
            row["guidance"] = response.json["guidance"]  # added by the service, not stored
        expected = ma.Schema.dump(type(OUTPUTS[kind])(), row)
    assert response.status_code == 201, response.json
    assert response.json == json.loads(json.dumps(expected))


@pytest.mark.parametrize("kind", list(BODIES))
def test_same_id_with_another_body_is_409(client, patient, kind) -> None:
    body = BODIES[kind]()
    changed = {**body, "recorded_at": iso(now_utc() - timedelta(minutes=3))}
    assert client.post(PATHS[kind], json=body, headers=patient.headers).status_code == 201

    response = client.post(PATHS[kind], json=changed, headers=patient.headers)

    assert response.status_code == 409
    assert response.content_type == PROBLEM


def test_an_id_used_by_another_kind_is_409(client, patient, app) -> None:
    body = pain_body()
    assert client.post(PATHS["pain_rating"], json=body, headers=patient.headers).status_code == 201
    posture = {"id": body["id"], "recorded_at": body["recorded_at"]}

    response = client.post(PATHS["posture_break"], json=posture, headers=patient.headers)

    assert response.status_code == 409


def test_another_patients_id_is_409_and_reveals_nothing(client, patient, make_patient) -> None:
    other = make_patient(timezone="UTC")
    body = pain_body(score=9)
    assert client.post(PATHS["pain_rating"], json=body, headers=other.headers).status_code == 201

    response = client.post(PATHS["pain_rating"], json=body, headers=patient.headers)

    assert response.status_code == 409
    assert set(response.json) <= {"type", "title", "status", "detail", "id"}


@pytest.mark.parametrize(
    ("kind", "change", "field"),
    [
        # Relative instants are computed when the test runs, not when it is collected.
        (
            "pain_rating",
            {"recorded_at": lambda: iso(now_utc() + timedelta(minutes=6))},
            "recorded_at",
        ),
        (
            "pain_rating",
            {"recorded_at": lambda: iso(now_utc() - timedelta(days=61))},
            "recorded_at",
        ),
        ("pain_rating", {"recorded_at": "2026-05-01T10:00:00"}, "recorded_at"),
        ("pain_rating", {"score": 11}, "score"),
        ("pain_rating", {"score": -1}, "score"),
        ("pain_rating", {"score": 3.5}, "score"),
        ("pain_rating", {"score": "3"}, "score"),
        ("pain_rating", {"context": "noon"}, "context"),
        ("pain_rating", {"mood": "good"}, "mood"),
        ("pain_rating", {"id": "not-a-uuid"}, "id"),
        ("session_log", {"status": "done"}, "status"),
        ("session_log", {"exertion": 12}, "exertion"),
        ("session_log", {"date": (date.today() + timedelta(days=2)).isoformat()}, "date"),
        ("session_log", {"items": [{"item_id": "x", "sets_done": 1, "reps_done": 1}]}, "items"),
        ("headache_entry", {"side": "top"}, "side"),
        ("headache_entry", {"intensity": 12}, "intensity"),
        ("headache_entry", {"medication_taken": "yes"}, "medication_taken"),
        ("headache_entry", {"duration_minutes": 0}, "duration_minutes"),
        ("headache_entry", {"triggers": ["screen\x00"]}, "triggers"),
        ("session_log", {"notes": "tired\x00"}, "notes"),
        ("session_log", {"slot": "a\x00"}, "slot"),
        ("session_log", {"notes": "\ud800"}, "notes"),
        ("symptom_check", {"answers": {"thunderclap": "yes"}}, "answers"),
        ("symptom_check", {"answers": {"unknown_question": True}}, "answers"),
    ],
)
def test_invalid_bodies_are_422_with_field_errors(client, patient, kind, change, field) -> None:
    body = {**BODIES[kind](), **{k: v() if callable(v) else v for k, v in change.items()}}

    response = client.post(PATHS[kind], json=body, headers=patient.headers)

    assert response.status_code == 422, response.json
    assert response.content_type == PROBLEM
    errors = response.json["errors"]
    assert field in errors
    # The contract's {field: [messages]}, nested fields included.
    assert all(isinstance(m, str) for messages in errors.values() for m in messages), errors


@pytest.mark.parametrize(
    ("kind", "optional"),
    [
        ("session_log", "items"),
        ("session_log", "notes"),
        ("session_log", "exertion"),
        ("headache_entry", "triggers"),
        ("headache_entry", "notes"),
    ],
)
def test_null_for_an_optional_field_means_left_out(client, patient, kind, optional) -> None:
    """Phone serialisers often write null for an empty optional field: accepted, and the same
    record as one without the field (a retry in the other form is a replay, not a conflict)."""
    with_null = {**BODIES[kind](), optional: None}
    left_out = {k: v for k, v in with_null.items() if k != optional}

    first = client.post(PATHS[kind], json=with_null, headers=patient.headers)
    replay = client.post(PATHS[kind], json=left_out, headers=patient.headers)

    assert first.status_code == 201, first.json
    assert replay.status_code == 200, replay.json
    assert replay.json == first.json


def test_missing_required_fields_are_422(client, patient) -> None:
    response = client.post(PATHS["pain_rating"], json={}, headers=patient.headers)
    assert response.status_code == 422
    assert {"id", "recorded_at", "score", "context"} <= set(response.json["errors"])


def test_staff_may_not_post_patient_records(client, make_staff) -> None:
    staff = make_staff()
    response = client.post(PATHS["pain_rating"], json=pain_body(), headers=staff.headers)
    assert response.status_code == 403


def test_local_date_comes_from_the_patient_time_zone(client, make_patient, app) -> None:
    patient = make_patient(timezone="Pacific/Auckland")
    body = pain_body(recorded_at=iso(now_utc().replace(hour=11, minute=30) - timedelta(days=1)))
    response = client.post(PATHS["pain_rating"], json=body, headers=patient.headers)
    # 11:30 UTC is 23:30 or 00:30 in Auckland: always the next local day.
    recorded = now_utc().replace(hour=11, minute=30) - timedelta(days=1)
    assert response.json["local_date"] == (recorded.date() + timedelta(days=1)).isoformat()
    with app.app_context():
        patient_row = db.session.get(Patient, patient.id)
        assert patient_row.last_activity_at is not None


def test_session_log_records_the_revision_in_force(client, patient, make_programme, app) -> None:
    programme = make_programme(patient, start_date=date.today() - timedelta(days=3))
    item = {"item_id": str(programme.item_ids[0]), "sets_done": 2, "reps_done": 10}
    body = session_body(items=[item])

    response = client.post(PATHS["session_log"], json=body, headers=patient.headers)

    assert response.status_code == 201
    assert response.json["programme_id"] == str(programme.id)
    assert response.json["revision_number"] == 1
    assert response.json["items"] == [item]
    with app.app_context():
        assert db.session.get(SessionLog, uuid.UUID(body["id"])).revision_number == 1


def test_every_write_is_audited(client, patient, app) -> None:
    body = pain_body()
    client.post(PATHS["pain_rating"], json=body, headers=patient.headers)
    client.post(PATHS["pain_rating"], json=body, headers=patient.headers)
    with app.app_context():
        events = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.object_id == body["id"])
        ).all()
        assert [(e.action, e.actor_role) for e in events] == [("pain_rating.create", "patient")]


@pytest.mark.parametrize(
    ("language", "number", "expected"),
    [("en", "911", "emergency department"), ("tr", None, "acil servis")],
)
def test_urgent_symptom_check_guides_and_raises_a_red_flag(
    client, app, make_clinic, make_staff, make_patient, language, number, expected
) -> None:
    clinic = make_clinic(**({"emergency_number": number} if number else {}))
    patient = make_patient(make_staff(clinic), language=language)
    body = symptom_body(thunderclap=True)

    response = client.post(PATHS["symptom_check"], json=body, headers=patient.headers)

    assert response.status_code == 201
    assert response.json["urgent"] is True
    assert (number or "112") in response.json["guidance"]
    assert expected in response.json["guidance"]
    with app.app_context():
        flags = db.session.scalars(sa.select(Flag).where(Flag.patient_id == patient.id)).all()
        assert [(f.type, f.severity) for f in flags] == [("red_flag", "urgent")]
        assert db.session.get(SymptomCheck, uuid.UUID(body["id"])).urgent


def test_other_records_queue_the_flag_engine_and_the_tick_raises_their_flags(
    client, app, patient
) -> None:
    from server.flags.jobs import run_pending_evaluations

    response = client.post(PATHS["pain_rating"], json=pain_body(score=9), headers=patient.headers)

    assert response.status_code == 201
    with app.app_context():
        assert count(Flag) == 0  # evaluation is deferred to the scheduler's tick
        assert run_pending_evaluations(now_utc() + timedelta(seconds=10)) == 1
        flags = db.session.scalars(sa.select(Flag).where(Flag.patient_id == patient.id)).all()
        assert [(f.type, f.status) for f in flags] == [("high_pain", "open")]


def test_calm_symptom_check_raises_nothing(client, app, patient) -> None:
    response = client.post(
        PATHS["symptom_check"], json=symptom_body(thunderclap=False), headers=patient.headers
    )
    assert response.status_code == 201
    assert response.json["urgent"] is False
    assert "emergency department" not in response.json["guidance"]
    with app.app_context():
        assert count(Flag) == 0


def test_sync_stores_valid_items_and_reports_each(client, patient, app) -> None:
    good, dup = pain_body(), pain_body(score=2)
    assert client.post(PATHS["pain_rating"], json=dup, headers=patient.headers).status_code == 201
    conflicting = {**dup, "score": 7}
    items = [
        {"kind": "pain_rating", "data": good},
        {"kind": "pain_rating", "data": dup},
        {"kind": "pain_rating", "data": conflicting},
        {"kind": "pain_rating", "data": {**pain_body(), "score": 42}},
        {"kind": "bogus", "data": pain_body()},
        {"kind": "pain_rating"},
        "not an object",
        {"kind": "posture_break", "data": {"id": good["id"], "recorded_at": good["recorded_at"]}},
        {"kind": "pain_rating", "data": good},
        {"kind": "symptom_check", "data": symptom_body(neuro_deficit=True)},
    ]

    response = client.post("/api/v1/me/sync", json={"items": items}, headers=patient.headers)

    assert response.status_code == 200
    results = response.json["results"]
    assert [r["status"] for r in results] == [
        "created",
        "duplicate",
        "conflict",
        "invalid",
        "invalid",
        "invalid",
        "invalid",
        "conflict",
        "duplicate",
        "created",
    ]
    assert results[0]["id"] == good["id"]
    assert "score" in results[3]["errors"]
    assert "kind" in results[4]["errors"]
    assert "data" in results[5]["errors"]
    assert results[9]["urgent"] is True
    assert "112" in results[9]["guidance"]
    with app.app_context():
        assert count(PainRating) == 2
        assert count(Flag) == 1


def test_sync_over_500_items_is_422(client, patient) -> None:
    items = [{"kind": "posture_break", "data": {}}] * 501
    response = client.post("/api/v1/me/sync", json={"items": items}, headers=patient.headers)
    assert response.status_code == 422
    assert "items" in response.json["errors"]


def test_sync_of_exactly_500_items_stores_them_all(client, patient, app) -> None:
    kinds = list(BODIES)
    items = [{"kind": kinds[n % 4], "data": BODIES[kinds[n % 4]]()} for n in range(500)]
    response = client.post("/api/v1/me/sync", json={"items": items}, headers=patient.headers)
    assert response.status_code == 200
    assert {r["status"] for r in response.json["results"]} == {"created"}
    with app.app_context():
        assert count(PainRating) == 125


def test_every_timestamp_has_one_shape_utc_with_microseconds(client, patient) -> None:
    # Sent in whole seconds and a local offset; returned in UTC with six fraction digits.
    local = (now_utc() - timedelta(hours=1)).astimezone(ZoneInfo("Europe/Istanbul"))
    created = client.post(
        PATHS["pain_rating"], json=pain_body(recorded_at=iso(local)), headers=patient.headers
    )
    assert created.status_code == 201, created.json
    shape = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$")
    for key in ("recorded_at", "received_at"):
        assert shape.match(created.json[key]), created.json[key]
    assert datetime.fromisoformat(created.json["recorded_at"]) == local
