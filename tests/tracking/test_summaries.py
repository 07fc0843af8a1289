"""The summaries the database maintains (``pain_days``, ``patient_activity``, ``session_days``)
always equal a recomputation from the record tables: whatever stores the records (a post, a sync
with duplicates and replays, offline records, a direct insert), in any time zone, and after
erasure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from server.adherence.rules import STATUS_RANK
from server.adherence.series import PAIN_SOURCES
from server.events import PatientErased
from server.extensions import db
from server.tracking import events
from server.tracking.models import (
    HeadacheEntry,
    PainDay,
    PainRating,
    PatientActivity,
    PostureBreak,
    SessionDay,
    SessionLog,
    SymptomCheck,
)
from tests.accounts.helpers import add_headache, add_pain_rating, add_session_log
from tests.tracking.conftest import (
    PATHS,
    headache_body,
    iso,
    now_utc,
    pain_body,
    posture_body,
    session_body,
    symptom_body,
)

RECORDS = (SessionLog, PainRating, HeadacheEntry, PostureBreak, SymptomCheck)
ZONES = ("Pacific/Auckland", "America/Los_Angeles", "Europe/Istanbul", "UTC")


def recomputed() -> tuple[dict[tuple[Any, Any], int], dict[Any, datetime]]:
    """Each (patient, local day)'s highest pain and each patient's latest ``recorded_at``,
    straight from the record tables (the definitions the summaries replace)."""
    pains = sa.union_all(
        *(
            sa.select(
                model.patient_id.label("patient_id"),
                model.local_date.label("day"),
                column.label("pain"),
            ).where(column.is_not(None))
            for model, column in PAIN_SOURCES
        )
    ).subquery()
    days = db.session.execute(
        sa.select(pains.c.patient_id, pains.c.day, sa.func.max(pains.c.pain)).group_by(
            pains.c.patient_id, pains.c.day
        )
    )
    latest: dict[Any, datetime] = {}
    for model in RECORDS:
        rows = db.session.execute(
            sa.select(model.patient_id, sa.func.max(model.recorded_at)).group_by(model.patient_id)
        )
        for patient_id, at in rows:
            latest[patient_id] = max(at, latest.get(patient_id, at))
    return {(p, day): pain for p, day, pain in days}, latest


def maintained() -> tuple[dict[tuple[Any, Any], int], dict[Any, datetime]]:
    days = db.session.execute(sa.select(PainDay.patient_id, PainDay.local_date, PainDay.max_pain))
    latest = db.session.execute(
        sa.select(PatientActivity.patient_id, PatientActivity.last_recorded_at)
    )
    return {(p, day): pain for p, day, pain in days}, dict(latest.all())


def recomputed_sessions() -> dict[tuple[Any, Any, str], int]:
    """Each (patient, local day, slot)'s best session status as its rank (0: none known),
    straight from the session logs (what ``session_days`` replaces for the list's adherence)."""
    best: dict[tuple[Any, Any, str], int] = {}
    logs = db.session.execute(
        sa.select(SessionLog.patient_id, SessionLog.local_date, SessionLog.slot, SessionLog.status)
    )
    for patient_id, day, slot, status in logs:
        key = (patient_id, day, slot)
        best[key] = max(best.get(key, 0), STATUS_RANK.get(status, 0))
    return best


def maintained_sessions() -> dict[tuple[Any, Any, str], int]:
    rows = db.session.execute(
        sa.select(
            SessionDay.patient_id, SessionDay.local_date, SessionDay.slot, SessionDay.best_rank
        )
    )
    return {(p, day, slot): rank for p, day, slot, rank in rows}


def assert_in_step(app: Flask) -> tuple[dict[tuple[Any, Any], int], dict[Any, datetime]]:
    with app.app_context():
        expected, found = recomputed(), maintained()
        expected_sessions, found_sessions = recomputed_sessions(), maintained_sessions()
        db.session.remove()
    assert found == expected
    assert found_sessions == expected_sessions
    return found


def item(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"kind": kind, "data": body}


def test_posts_syncs_replays_and_direct_inserts_keep_the_summaries_in_step(
    app: Flask, client: FlaskClient, make_patient
) -> None:
    patients = [make_patient(timezone=zone) for zone in ZONES]
    now = now_utc()
    for n, patient in enumerate(patients):
        headers = patient.headers
        local = now.astimezone(ZoneInfo(ZONES[n]))
        # Single posts of every kind, the lower pain after the higher on the same day.
        posts = [
            ("pain_rating", pain_body(score=7)),
            ("pain_rating", pain_body(score=2)),
            ("session_log", session_body(date=local.date().isoformat(), pain_during=None)),
            (
                "session_log",
                session_body(date=local.date().isoformat(), slot="evening", status="partial"),
            ),
            (
                "session_log",
                session_body(date=local.date().isoformat(), slot="evening", status="skipped"),
            ),
            ("session_log", session_body(date=local.date().isoformat(), status="skipped")),
            ("headache_entry", headache_body(intensity=8 if n % 2 else 1)),
            ("posture_break", posture_body()),
            ("symptom_check", symptom_body()),
        ]
        for kind, body in posts:
            response = client.post(PATHS[kind], json=body, headers=headers)
            assert response.status_code == 201, response.json
        # Replayed: nothing changes.
        assert client.post(PATHS[posts[0][0]], json=posts[0][1], headers=headers).status_code == 200
        # Offline records synced later: past days, around local midnight, a duplicate inside
        # the batch and a session without any pain.
        past = now - timedelta(days=3, hours=n * 5)
        early = pain_body(score=9, recorded_at=iso(past))
        batch = [
            item("pain_rating", early),
            item("pain_rating", early),
            item("pain_rating", pain_body(score=3, recorded_at=iso(past + timedelta(hours=1)))),
            item(
                "session_log",
                session_body(
                    recorded_at=iso(past),
                    date=(local.date() - timedelta(days=2)).isoformat(),
                    pain_during=None,
                    pain_after=None,
                ),
            ),
            item(
                "session_log",
                session_body(
                    recorded_at=iso(past),
                    date=(local.date() - timedelta(days=2)).isoformat(),
                    status="completed",
                ),
            ),
            item(
                "session_log",
                session_body(
                    recorded_at=iso(past),
                    date=(local.date() - timedelta(days=2)).isoformat(),
                    slot="evening",
                    status=("partial", "skipped")[n % 2],
                ),
            ),
            item("headache_entry", headache_body(recorded_at=iso(past), intensity=4)),
            item("posture_break", posture_body(recorded_at=iso(past))),
        ]
        first = client.post("/api/v1/me/sync", json={"items": batch}, headers=headers)
        assert [r["status"] for r in first.json["results"]] == [
            "created",
            "duplicate",
            "created",
            "created",
            "created",
            "created",
            "created",
            "created",
        ]
        replay = client.post("/api/v1/me/sync", json={"items": batch}, headers=headers)
        assert {r["status"] for r in replay.json["results"]} == {"duplicate"}
        assert_in_step(app)

    # Records stored by other means (a seed, a script) are summarised as well.
    later = now + timedelta(minutes=3)
    add_pain_rating(app, patients[0], 10, later - timedelta(days=20))
    add_headache(app, patients[1], 6, later)
    add_session_log(app, patients[2], later, pain_during=6, pain_after=None)
    days, latest = assert_in_step(app)
    assert latest[patients[1].id] == later
    assert len({patient for patient, _ in days}) == len(patients)


def test_a_session_logs_pain_is_the_higher_of_during_and_after(app: Flask, make_patient) -> None:
    patient = make_patient(timezone="UTC")
    at = datetime(2026, 3, 1, 9, tzinfo=UTC)
    add_session_log(app, patient, at, pain_during=2, pain_after=5)
    add_session_log(app, patient, at + timedelta(days=1), pain_during=6, pain_after=None)
    add_session_log(app, patient, at + timedelta(days=2), pain_during=None, pain_after=None)

    days, latest = assert_in_step(app)

    assert sorted(days.values()) == [5, 6]
    assert latest == {patient.id: at + timedelta(days=2)}


def test_erasure_deletes_the_summaries_with_the_records_or_keeps_both(
    app: Flask, make_patient
) -> None:
    kept, deleted = make_patient(timezone="UTC"), make_patient(timezone="UTC")
    for patient in (kept, deleted):
        add_pain_rating(app, patient, 4, now_utc() - timedelta(hours=1))
        add_session_log(app, patient, now_utc() - timedelta(hours=2))
    with app.app_context():
        for patient, retention in ((kept, "keep_deidentified"), (deleted, "delete")):
            event = PatientErased(patient.id, patient.clinic_id, retention, now_utc())
            events.erase.run(event)
        db.session.commit()

    days, latest = assert_in_step(app)

    assert set(latest) == {kept.id}
    assert {patient for patient, _ in days} == {kept.id}
    with app.app_context():
        assert {patient for patient, _, _ in maintained_sessions()} == {kept.id}
