"""Logging through the ingest service marks the patient; the next dispatch tick replans their
reminder streams before it claims anything due, as of the record's time."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime

import psycopg
import pytest
import sqlalchemy as sa
from flask import Flask

from server.accounts.models import Patient
from server.extensions import db
from server.reminders.jobs import dispatch_tick
from server.reminders.models import ReplanMark
from server.reminders.replans import MARKS, mark_replan
from server.tracking.services import record_one
from tests.reminders.conftest import RecordingProvider, notifications_of, stream_due, utc


def _log(app: Flask, patient_id: uuid.UUID, kind: str, at: datetime, **body: object) -> None:
    with app.app_context():
        record_one(
            patient=db.session.get(Patient, patient_id),
            kind=kind,
            body={"id": uuid.uuid4(), "recorded_at": at, **body},
            actor=None,
            now=at,
        )
        db.session.commit()


def _marks(app: Flask) -> list[tuple[uuid.UUID, datetime]]:
    with app.app_context():
        return [tuple(row) for row in db.session.execute(sa.select(MARKS)).all()]


def _marked_at(app: Flask, patient_id: uuid.UUID) -> datetime | None:
    with app.app_context():
        return db.session.scalar(
            sa.select(ReplanMark.marked_at).where(ReplanMark.patient_id == patient_id)
        )


def test_a_logged_posture_break_restarts_the_countdown_at_the_next_tick(
    app: Flask, reminder_patient, provider: RecordingProvider
) -> None:
    # Monday 1 June 2026, UTC patient, working window 09:00-18:00, breaks every 40 minutes.
    patient = reminder_patient(now=utc(2026, 6, 1, 9, 5), posture_interval=40)
    assert stream_due(app, patient.id, "posture_break") == utc(2026, 6, 1, 9, 40)

    _log(app, patient.id, "posture_break", utc(2026, 6, 1, 9, 25))
    assert _marked_at(app, patient.id) == utc(2026, 6, 1, 9, 25)
    assert stream_due(app, patient.id, "posture_break") == utc(2026, 6, 1, 9, 40)  # not yet

    # The tick comes after the old due time: it replans first, so nothing is due at 09:40.
    with app.app_context():
        report = dispatch_tick(utc(2026, 6, 1, 9, 41), batch_size=50, provider=provider)
    assert report.replans == 1
    assert stream_due(app, patient.id, "posture_break") == utc(2026, 6, 1, 10, 5)
    assert _marked_at(app, patient.id) is None
    assert [n["kind"] for n in notifications_of(app, patient.id)] == []
    assert provider.sent == []


def test_a_burst_of_records_keeps_one_mark_at_the_earliest_time(
    app: Flask, reminder_patient
) -> None:
    patient = reminder_patient(now=utc(2026, 6, 1, 9, 5), posture_interval=40)
    _log(app, patient.id, "posture_break", utc(2026, 6, 1, 9, 30))
    _log(app, patient.id, "posture_break", utc(2026, 6, 1, 9, 20))  # sent late, offline
    _log(app, patient.id, "posture_break", utc(2026, 6, 1, 9, 35))
    assert _marks(app) == [(patient.id, patient.clinic_id, utc(2026, 6, 1, 9, 20))]


def test_a_pain_rating_leaves_the_reminder_streams_alone(app: Flask, reminder_patient) -> None:
    patient = reminder_patient(now=utc(2026, 6, 1, 9, 5), posture_interval=40)
    _log(app, patient.id, "pain_rating", utc(2026, 6, 1, 9, 25), score=3, context="now")
    assert _marks(app) == []
    assert stream_due(app, patient.id, "posture_break") == utc(2026, 6, 1, 9, 40)


def test_a_mark_made_while_a_tick_holds_one_is_kept(
    app: Flask, backend: str, database_url: str, reminder_patient
) -> None:
    """A tick locks the marks it replans, then removes them; a record arriving meanwhile waits
    and marks again, so its replan is not lost with the old mark (DO NOTHING would lose it)."""
    if backend != "postgresql":
        pytest.skip("row locks are PostgreSQL's (SQLite has one writer)")
    patient = reminder_patient(now=utc(2026, 6, 1, 9, 5), posture_interval=40)
    with app.app_context():
        mark_replan(patient.id, patient.clinic_id, utc(2026, 6, 1, 9, 20))
        db.session.commit()

    def mark_again() -> None:
        with app.app_context():
            mark_replan(patient.id, patient.clinic_id, utc(2026, 6, 1, 9, 30))
            db.session.commit()

    libpq_url = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(libpq_url) as tick:  # what replan_marked holds until it commits
        tick.execute("SELECT 1 FROM reminder_replans FOR UPDATE SKIP LOCKED")
        thread = threading.Thread(target=mark_again)
        thread.start()
        thread.join(timeout=2)
        waited = thread.is_alive()
        tick.execute("DELETE FROM reminder_replans")
        tick.commit()
    thread.join(timeout=15)
    assert waited, "the new mark did not wait for the tick holding the old one"
    assert _marked_at(app, patient.id) == utc(2026, 6, 1, 9, 30)
