"""Plain helpers shared by the accounts, audit and security tests."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from server.accounts.models import Patient, User
from server.extensions import db
from server.tracking.models import HeadacheEntry, PainRating, SessionLog
from tests.factories import UserHandle

STRONG_PASSWORD = "a-long-enough-passphrase"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def login(client: FlaskClient, email: str, password: str, **kwargs: Any) -> TestResponse:
    return client.post("/api/v1/auth/login", json={"email": email, "password": password}, **kwargs)


def _record_fields(app: Flask, patient_id: uuid.UUID, recorded_at: datetime) -> dict[str, Any]:
    patient = db.session.get(Patient, patient_id)
    return {
        "id": uuid.uuid4(),
        "clinic_id": patient.clinic_id,
        "patient_id": patient_id,
        "recorded_at": recorded_at,
        "received_at": recorded_at,
        "local_date": recorded_at.astimezone(ZoneInfo(patient.timezone)).date(),
        "body_digest": "0" * 64,
    }


def add_pain_rating(
    app: Flask, patient: UserHandle, score: int, recorded_at: datetime, context: str = "now"
) -> uuid.UUID:
    """Store a pain rating directly (no API)."""
    with app.app_context():
        row = PainRating(
            **_record_fields(app, patient.id, recorded_at), score=score, context=context
        )
        db.session.add(row)
        db.session.commit()
        return row.id


def add_headache(
    app: Flask, patient: UserHandle, intensity: int, started_at: datetime, notes: str | None = None
) -> uuid.UUID:
    """Store a headache entry directly (no API)."""
    with app.app_context():
        row = HeadacheEntry(
            **_record_fields(app, patient.id, started_at),
            started_at=started_at,
            duration_minutes=60,
            intensity=intensity,
            side="both",
            triggers=[],
            medication_taken=False,
            notes=notes,
        )
        db.session.add(row)
        db.session.commit()
        return row.id


def add_session_log(
    app: Flask,
    patient: UserHandle,
    recorded_at: datetime,
    *,
    pain_during: int | None = None,
    pain_after: int | None = None,
    day: date | None = None,
) -> uuid.UUID:
    """Store a completed session log directly (no API)."""
    with app.app_context():
        fields = _record_fields(app, patient.id, recorded_at)
        if day is not None:
            fields["local_date"] = day
        row = SessionLog(
            **fields,
            slot="morning",
            status="completed",
            items=[],
            pain_during=pain_during,
            pain_after=pain_after,
        )
        db.session.add(row)
        db.session.commit()
        return row.id


def add_patients_fast(app: Flask, therapist: UserHandle, count: int) -> list[uuid.UUID]:
    """Many patients without passwords or tokens (no argon2 cost), for list and query tests."""
    with app.app_context():
        ids = []
        for n in range(count):
            user = User(
                clinic_id=therapist.clinic_id,
                email=f"bulk-{uuid.uuid4().hex[:12]}@mail.example",
                name=f"Bulk {n:03d}",
                role="patient",
                language="en",
            )
            db.session.add(user)
            db.session.flush()
            db.session.add(
                Patient(id=user.id, clinic_id=therapist.clinic_id, therapist_id=therapist.id)
            )
            ids.append(user.id)
        db.session.commit()
        return ids
