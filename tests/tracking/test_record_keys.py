"""A patient record's one foreign key, on (patient, clinic): a record names its patient's own
clinic and an existing patient, or it is not stored."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import Flask

from server.extensions import db
from server.tracking.models import PainRating


def _pain_row(patient_id: uuid.UUID, clinic_id: uuid.UUID) -> dict[str, object]:
    now = datetime.now(UTC)
    return {
        "id": uuid.uuid4(),
        "clinic_id": clinic_id,
        "patient_id": patient_id,
        "recorded_at": now,
        "received_at": now,
        "local_date": now.date(),
        "body_digest": "0" * 64,
        "score": 3,
        "context": "now",
    }


def test_a_record_names_its_patients_own_clinic(app: Flask, make_patient, make_clinic) -> None:
    patient, other = make_patient(timezone="UTC"), make_clinic()
    wrong = [
        _pain_row(patient.id, other.id),  # another clinic than the patient's
        _pain_row(uuid.uuid4(), patient.clinic_id),  # no such patient
    ]
    with app.app_context():
        for row in wrong:
            with pytest.raises(sa.exc.IntegrityError):
                db.session.execute(sa.insert(PainRating), [row])
            db.session.rollback()
        db.session.execute(sa.insert(PainRating), [_pain_row(patient.id, patient.clinic_id)])
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PainRating)) == 1
