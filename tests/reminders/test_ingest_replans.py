"""Logging through the ingest service re-plans the patient's reminder streams."""

from __future__ import annotations

import uuid

from flask import Flask

from server.accounts.models import Patient
from server.extensions import db
from server.tracking.services import record_one
from tests.reminders.conftest import stream_due, utc


def test_a_logged_posture_break_restarts_the_countdown(app: Flask, reminder_patient) -> None:
    # Monday 1 June 2026, UTC patient, working window 09:00-18:00, breaks every 40 minutes.
    patient = reminder_patient(now=utc(2026, 6, 1, 9, 5), posture_interval=40)
    assert stream_due(app, patient.id, "posture_break") == utc(2026, 6, 1, 9, 40)

    logged_at = utc(2026, 6, 1, 9, 25)
    with app.app_context():
        record_one(
            patient=db.session.get(Patient, patient.id),
            kind="posture_break",
            body={"id": uuid.uuid4(), "recorded_at": logged_at},
            actor=None,
            now=logged_at,
        )
        db.session.commit()

    assert stream_due(app, patient.id, "posture_break") == utc(2026, 6, 1, 10, 5)


def test_a_pain_rating_leaves_the_reminder_streams_alone(app: Flask, reminder_patient) -> None:
    patient = reminder_patient(now=utc(2026, 6, 1, 9, 5), posture_interval=40)
    logged_at = utc(2026, 6, 1, 9, 25)
    with app.app_context():
        record_one(
            patient=db.session.get(Patient, patient.id),
            kind="pain_rating",
            body={"id": uuid.uuid4(), "recorded_at": logged_at, "score": 3, "context": "now"},
            actor=None,
            now=logged_at,
        )
        db.session.commit()

    assert stream_due(app, patient.id, "posture_break") == utc(2026, 6, 1, 9, 40)
