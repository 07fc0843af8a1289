"""A reminder record and an outbox row each have one foreign key on (person, clinic): they name
their person's own clinic and an existing person, or they are not stored, so no push or alert
can be addressed to someone of another clinic."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import Flask

from server.extensions import db
from server.reminders.models import Delivery, Notification


def _notification(patient_id: uuid.UUID, clinic_id: uuid.UUID) -> dict[str, object]:
    now = datetime.now(UTC)
    return {
        "id": uuid.uuid4(),
        "clinic_id": clinic_id,
        "patient_id": patient_id,
        "kind": "session",
        "occurrence_at": now,
        "status": "due",
        "local_date": now.date(),
        "language": "en",
        "title": "Exercise time",
        "message": "Your morning session is due.",
    }


def _delivery(recipient_id: uuid.UUID, clinic_id: uuid.UUID) -> dict[str, object]:
    return {
        "id": uuid.uuid4(),
        "dedupe_key": f"test:{uuid.uuid4()}",
        "clinic_id": clinic_id,
        "recipient_id": recipient_id,
        "channel": "staff",
        "kind": "flag_alert",
        "payload": {},
        "status": "pending",
        "next_attempt_at": datetime.now(UTC),
    }


def _refused_then_stored(app: Flask, table, wrong: list[dict], right: dict) -> None:
    with app.app_context():
        for row in wrong:
            with pytest.raises(sa.exc.IntegrityError):
                db.session.execute(sa.insert(table), [row])
            db.session.rollback()
        db.session.execute(sa.insert(table), [right])
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(table)) == 1


def test_a_reminder_record_names_its_patients_own_clinic(app, make_patient, make_clinic) -> None:
    patient, other = make_patient(timezone="UTC"), make_clinic()
    wrong = [
        _notification(patient.id, other.id),  # another clinic than the patient's
        _notification(uuid.uuid4(), patient.clinic_id),  # no such patient
    ]
    _refused_then_stored(app, Notification, wrong, _notification(patient.id, patient.clinic_id))


def test_an_outbox_row_names_its_recipients_own_clinic(app, make_staff, make_clinic) -> None:
    therapist, other = make_staff(), make_clinic()
    wrong = [
        _delivery(therapist.id, other.id),  # an alert to another clinic's therapist
        _delivery(uuid.uuid4(), therapist.clinic_id),  # no such person
    ]
    _refused_then_stored(app, Delivery, wrong, _delivery(therapist.id, therapist.clinic_id))
