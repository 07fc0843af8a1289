"""GET /me/plan and GET /patients/{id}/plan: the revision in force on a local date, its sessions
(DST-safe), texts in the patient's language, statuses from the logs, and posture breaks."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from server.audit.models import AuditEvent
from server.extensions import db
from server.tracking.models import PostureBreak, SessionLog
from tests.programmes.conftest import today_in

EARLY_AND_MORNING = {
    "days": [1, 2, 3, 4, 5, 6, 7],
    "slots": [{"slot": "early", "time": "01:30"}, {"slot": "morning", "time": "08:00"}],
}


def _plan(client: FlaskClient, who: Any, day: date | None = None, patient: Any = None):
    path = f"/api/v1/patients/{patient.id}/plan" if patient else "/api/v1/me/plan"
    query = {"date": day.isoformat()} if day else {}
    return client.get(path, query_string=query, headers=who.headers)


def _record(app: Flask, model: type, patient: Any, day: date, **fields: Any) -> None:
    now = datetime.now(UTC)
    with app.app_context():
        db.session.add(
            model(
                id=uuid.uuid4(),
                clinic_id=patient.clinic_id,
                patient_id=patient.id,
                recorded_at=now,
                received_at=now,
                local_date=day,
                body_digest=hashlib.sha256(uuid.uuid4().bytes).hexdigest(),
                **fields,
            )
        )
        db.session.commit()


def test_plan_is_in_the_patients_language(
    client: FlaskClient, create_programme, make_staff, make_patient
) -> None:
    therapist = make_staff()
    english = make_patient(therapist, language="en")
    turkish = make_patient(therapist, language="tr")
    for patient in (english, turkish):
        create_programme(therapist, patient)
    en, tr = (_plan(client, p).json for p in (english, turkish))
    assert (en["language"], tr["language"]) == ("en", "tr")
    assert en["date"] == today_in("Europe/Istanbul").isoformat()
    assert [(s["slot"], s["time"]) for s in en["sessions"]] == [
        ("morning", "08:00"),
        ("evening", "19:00"),
    ]
    en_morning, tr_morning = en["sessions"][0]["items"], tr["sessions"][0]["items"]
    assert [i["slug"] for i in en_morning] == [
        "cranio-cervical-flexion",
        "chin-tuck-sitting",
        "cervical-rotation-rom",
        "c1-c2-self-snag",
    ]
    assert en_morning[0]["name"].startswith("Cranio-cervical flexion")
    assert tr_morning[0]["name"].startswith("Kranio-servikal fleksiyon")
    assert "pressure sensor" in en_morning[0]["instructions"]
    assert "basınç sensörünü" in tr_morning[0]["instructions"].lower()
    assert en_morning[0]["dosage"] == {
        "sets": 1,
        "reps": 10,
        "hold_seconds": 10,
        "rest_seconds": 10,
        "target": {"kind": "pressure", "value": 22.0, "unit": "mmHg"},
    }
    assert (en_morning[0]["level"], en_morning[0]["levels"]) == (1, 5)
    assert len(en["sessions"][1]["items"]) == 5
    assert en["posture_breaks"]["routine"]["name"] == "Posture-break routine"
    assert tr["posture_breaks"]["routine"]["name"] == "Duruş molası rutini"
    assert en["revision"] == 1


def test_a_revision_made_today_never_changes_a_past_dates_plan(
    client: FlaskClient, create_programme, make_staff, make_patient
) -> None:
    therapist = make_staff()
    patient = make_patient(therapist)
    today = today_in("Europe/Istanbul")
    past = today - timedelta(days=2)
    programme = create_programme(
        therapist, patient, start_date=(today - timedelta(days=5)).isoformat()
    )
    before = _plan(client, patient, past).json
    assert before["revision"] == 1
    response = client.post(
        f"/api/v1/programmes/{programme['id']}/intensity",
        json={"base_revision": 1, "direction": "progress", "reason": "Settled"},
        headers=therapist.headers,
    )
    assert response.status_code == 201
    after = _plan(client, patient, past).json
    assert after == before
    assert _plan(client, therapist, past, patient=patient).json == before
    now = _plan(client, patient).json
    assert now["revision"] == 2
    assert {i["level"] for s in now["sessions"] for i in s["items"]} == {2}
    ccf = now["sessions"][0]["items"][0]
    assert ccf["dosage"]["target"]["value"] == 24


def test_session_status_comes_from_the_logs(
    app: Flask, client: FlaskClient, create_programme, make_staff, make_patient
) -> None:
    therapist = make_staff()
    patient = make_patient(therapist)
    today = today_in("Europe/Istanbul")
    yesterday = today - timedelta(days=1)
    create_programme(therapist, patient, start_date=(today - timedelta(days=3)).isoformat())
    _record(app, SessionLog, patient, yesterday, slot="morning", status="skipped")
    _record(app, SessionLog, patient, yesterday, slot="morning", status="completed")
    _record(app, SessionLog, patient, today, slot="morning", status="partial")
    statuses = {
        day: [s["status"] for s in _plan(client, patient, day).json["sessions"]]
        for day in (yesterday, today)
    }
    assert statuses == {yesterday: ["completed", "missed"], today: ["partial", "pending"]}


def test_sessions_keep_their_local_time_across_dst(
    client: FlaskClient, library, make_staff, make_patient
) -> None:
    therapist = make_staff()
    cases = {
        # zone: (spring-forward date, the 01:30 slot locally, the 08:00 slot in UTC)
        "Europe/London": (date(2025, 3, 30), "2025-03-30T02:30:00.000000+01:00", "07:00:00"),
        "America/New_York": (date(2025, 3, 9), "2025-03-09T01:30:00.000000-05:00", "12:00:00"),
        "Europe/Istanbul": (date(2025, 3, 30), "2025-03-30T01:30:00.000000+03:00", "05:00:00"),
    }
    for zone, (day, early_local, morning_utc) in cases.items():
        patient = make_patient(therapist, timezone=zone)
        body = {
            "start_date": "2025-03-01",
            "items": [{"exercise": "chin-tuck-sitting"}],
            "schedule": EARLY_AND_MORNING,
        }
        response = client.post(
            f"/api/v1/patients/{patient.id}/programmes", json=body, headers=therapist.headers
        )
        assert response.status_code == 201, response.json
        sessions = _plan(client, patient, day).json["sessions"]
        assert [s["time"] for s in sessions] == ["01:30", "08:00"], zone
        assert sessions[0]["local_starts_at"] == early_local, zone
        assert sessions[1]["starts_at"] == f"{day.isoformat()}T{morning_utc}.000000+00:00", zone
        assert sessions[1]["local_starts_at"][11:16] == "08:00"
        assert [s["status"] for s in sessions] == ["missed", "missed"]
        autumn = _plan(client, patient, date(2025, 11, 2)).json["sessions"]
        assert [s["local_starts_at"][11:16] for s in autumn] == ["01:30", "08:00"]


def test_posture_breaks_follow_the_working_window(
    app: Flask, client: FlaskClient, library, make_staff, make_patient
) -> None:
    therapist = make_staff()
    patient = make_patient(therapist)
    body = {"template": "cervicogenic-headache-basic", "start_date": "2025-06-01"}
    client.post(f"/api/v1/patients/{patient.id}/programmes", json=body, headers=therapist.headers)
    monday, saturday = date(2025, 6, 2), date(2025, 6, 7)
    _record(app, PostureBreak, patient, monday)
    _record(app, PostureBreak, patient, monday)
    weekday = _plan(client, patient, monday).json["posture_breaks"]
    assert weekday["working_day"] is True
    assert weekday["window"] == {"start": "09:00", "end": "18:00"}
    assert (weekday["interval_minutes"], weekday["prescribed"], weekday["logged"]) == (40, 13, 2)
    weekend = _plan(client, patient, saturday).json["posture_breaks"]
    assert (weekend["working_day"], weekend["window"], weekend["prescribed"]) == (False, None, 0)
    assert weekend["work_days"] == [1, 2, 3, 4, 5]


def test_days_without_a_programme_have_an_empty_plan(
    client: FlaskClient, create_programme, make_staff, make_patient
) -> None:
    therapist = make_staff()
    patient = make_patient(therapist)
    empty = _plan(client, patient).json
    assert (empty["programme_id"], empty["revision"], empty["sessions"]) == (None, None, [])
    today = today_in("Europe/Istanbul")
    create_programme(therapist, patient, start_date=(today + timedelta(days=2)).isoformat())
    assert _plan(client, patient).json["sessions"] == []
    assert len(_plan(client, patient, today + timedelta(days=2)).json["sessions"]) == 2
    bad = client.get("/api/v1/me/plan?date=2025-13-01", headers=patient.headers)
    assert bad.status_code == 422
    assert "date" in bad.json["errors"]


def test_patients_see_only_their_own_plan_and_staff_only_their_clinics(
    app: Flask, client: FlaskClient, create_programme, make_staff, make_patient
) -> None:
    therapist, outsider = make_staff(), make_staff()
    patient, other = make_patient(therapist), make_patient(therapist)
    create_programme(therapist, patient)
    assert _plan(client, other).json["programme_id"] is None
    assert _plan(client, other, patient=patient).status_code == 403
    assert _plan(client, outsider, patient=patient).status_code == 404
    assert _plan(client, therapist, patient=patient).json == _plan(client, patient).json
    assert client.get("/api/v1/me/plan").status_code == 401
    assert client.get("/api/v1/me/plan", headers=therapist.headers).status_code == 403
    with app.app_context():
        reads = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.patient_id == patient.id, AuditEvent.action == "plan.read")
        )
    assert reads == 2


def test_a_plan_read_writes_only_its_audit_row_last(
    app: Flask, client: FlaskClient, create_programme, make_staff, make_patient, backend
) -> None:
    """Once the day's prescription is cached: the token family with the patient's own row, the
    questionnaires scheduled on the patient's programmes (measures' due_measures: one indexed
    query, a second only when one is open), the revision in force, then the day's logs and the
    audit row, one statement on PostgreSQL (a data-modifying CTE) and two on SQLite, where every
    read runs before the write lock is taken (the audit INSERT is the transaction's first and
    only write).
    """
    therapist = make_staff()
    patient = make_patient(therapist)
    create_programme(therapist, patient)
    _plan(client, patient)  # warm up: caches the day's prescription
    seen: list[tuple[str, bool]] = []

    def record(connection, _cursor, statement, *_args) -> None:
        dbapi = connection.connection.dbapi_connection
        open_tx = dbapi.in_transaction if backend == "sqlite" else None
        seen.append((statement.split()[0], open_tx))
        statements.append(statement)

    statements: list[str] = []
    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        assert _plan(client, patient).status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    if backend == "postgresql":
        assert [verb for verb, _ in seen] == ["SELECT", "SELECT", "SELECT", "WITH"]
        assert "INSERT INTO audit_events" in statements[-1]
    else:
        assert [verb for verb, _ in seen] == ["SELECT"] * 4 + ["INSERT"]
    if backend == "sqlite":
        # Reads on their own snapshots; BEGIN IMMEDIATE right before the INSERT.
        assert [open_tx for _, open_tx in seen] == [False] * 4 + [True]
