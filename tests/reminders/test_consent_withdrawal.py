"""Withdrawn consent (issue 24 item 1): the real dispatch tick plans and sends nothing more for
the patient, a snoozed reminder does not come back, the therapist's alert goes out, and
consenting again restarts the reminders."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from server.access import Actor
from server.accounts.consents import record_consent, withdraw_consent
from server.accounts.models import ConsentText, Patient
from server.accounts.seed import load_consent_texts
from server.extensions import db
from server.reminders.jobs import dispatch_tick
from server.reminders.models import Notification
from tests.reminders.conftest import (
    RecordingProvider,
    notifications_of,
    stream_due,
    utc,
)

BEFORE = utc(2026, 6, 1, 6)


def _tick(app: Flask, now, provider: RecordingProvider) -> None:
    with app.app_context():
        dispatch_tick(now, batch_size=50, provider=provider)
        db.session.remove()


def _consent(app: Flask, patient, now, seed_dir: Path) -> None:
    with app.app_context():
        load_consent_texts(seed_dir)
        # In force long before these tests' June 2026.
        db.session.execute(sa.update(ConsentText).values(published=date(2026, 1, 1)))
        actor = Actor(patient.id, "patient", patient.clinic_id)
        record_consent(db.session.get_one(Patient, patient.id), actor=actor, language="en", now=now)
        db.session.commit()


def _withdraw(app: Flask, patient, now) -> None:
    with app.app_context():
        withdraw_consent(actor=Actor(patient.id, "patient", patient.clinic_id), now=now)
        db.session.commit()


def test_no_reminder_is_planned_or_sent_after_withdrawal(
    app: Flask, reminder_patient, provider: RecordingProvider, seed_dir: Path
) -> None:
    patient = reminder_patient(now=BEFORE, posture_interval=40)
    _consent(app, patient, BEFORE - timedelta(days=30), seed_dir)
    _tick(app, utc(2026, 6, 1, 8, 0, 20), provider)  # the morning reminder goes out
    assert [m.recipient_id for m in provider.sent] == [patient.id]
    with app.app_context():  # the patient snoozes it
        db.session.execute(
            sa.update(Notification)
            .where(Notification.patient_id == patient.id)
            .values(status="snoozed", snoozed_until=utc(2026, 6, 1, 8, 30))
        )
        db.session.commit()

    _withdraw(app, patient, utc(2026, 6, 1, 8, 10))
    assert stream_due(app, patient.id, "session") is None
    assert stream_due(app, patient.id, "posture_break") is None
    provider.sent.clear()
    for hour in range(8, 24 * 3, 1):  # three days of ticks, every hour
        _tick(app, utc(2026, 6, 1) + timedelta(hours=hour, minutes=20), provider)
    assert [m.kind for m in provider.sent] == ["consent_withdrawn"]  # only the therapist's alert
    assert provider.sent[0].recipient_id == patient.therapist_id
    records = notifications_of(app, patient.id)
    assert [r["status"] for r in records] == ["suppressed"]  # the snoozed one, never again


def test_consenting_again_restarts_the_reminders(
    app: Flask, reminder_patient, provider: RecordingProvider, seed_dir: Path
) -> None:
    patient = reminder_patient(now=BEFORE)
    _consent(app, patient, BEFORE - timedelta(days=30), seed_dir)
    _withdraw(app, patient, BEFORE)
    assert stream_due(app, patient.id, "session") is None
    _consent(app, patient, BEFORE + timedelta(minutes=5), seed_dir)
    assert stream_due(app, patient.id, "session") == utc(2026, 6, 1, 8)
    _tick(app, utc(2026, 6, 1, 8, 0, 20), provider)
    assert patient.id in [m.recipient_id for m in provider.sent]
