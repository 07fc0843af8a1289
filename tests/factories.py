"""Factory fixtures. Each returns a callable that creates rows (committed) and returns a plain
handle with ids and ready-made auth headers, so tests never hold ORM objects across requests.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask

from server.accounts.models import Clinic, Patient, User
from server.accounts.passwords import hash_password
from server.accounts.sessions import start_session
from server.extensions import db

_sequence = itertools.count(1)
DEFAULT_PASSWORD = "correct-horse-battery"


@dataclass(frozen=True)
class ClinicHandle:
    id: uuid.UUID
    name: str


@dataclass(frozen=True)
class UserHandle:
    id: uuid.UUID
    clinic_id: uuid.UUID
    role: str
    email: str
    password: str
    access_token: str
    refresh_token: str
    therapist_id: uuid.UUID | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def _tokens(user: User) -> tuple[str, str]:
    pair = start_session(user)
    return pair.access_token, pair.refresh_token


@pytest.fixture
def make_clinic(app: Flask) -> Callable[..., ClinicHandle]:
    def make(**fields: Any) -> ClinicHandle:
        with app.app_context():
            clinic = Clinic(name=fields.pop("name", f"Clinic {next(_sequence)}"), **fields)
            db.session.add(clinic)
            db.session.commit()
            return ClinicHandle(clinic.id, clinic.name)

    return make


@pytest.fixture
def make_staff(app: Flask, make_clinic: Callable[..., ClinicHandle]) -> Callable[..., UserHandle]:
    def make(clinic: ClinicHandle | None = None, role: str = "therapist", **fields: Any):
        clinic = clinic or make_clinic()
        with app.app_context():
            n = next(_sequence)
            user = User(
                clinic_id=clinic.id,
                email=fields.pop("email", f"staff{n}@clinic.example"),
                name=fields.pop("name", f"Therapist {n}"),
                role=role,
                language=fields.pop("language", "en"),
                password_hash=hash_password(DEFAULT_PASSWORD),
                **fields,
            )
            db.session.add(user)
            db.session.flush()
            access, refresh = _tokens(user)
            db.session.commit()
            return UserHandle(
                user.id, clinic.id, role, user.email, DEFAULT_PASSWORD, access, refresh
            )

    return make


@pytest.fixture
def make_patient(app: Flask, make_staff: Callable[..., UserHandle]) -> Callable[..., UserHandle]:
    def make(
        therapist: UserHandle | None = None,
        *,
        timezone: str = "Europe/Istanbul",
        language: str = "en",
        **fields: Any,
    ) -> UserHandle:
        therapist = therapist or make_staff()
        with app.app_context():
            n = next(_sequence)
            user = User(
                clinic_id=therapist.clinic_id,
                email=fields.pop("email", f"patient{n}@mail.example"),
                name=fields.pop("name", f"Patient {n}"),
                role="patient",
                language=language,
                password_hash=hash_password(DEFAULT_PASSWORD),
            )
            db.session.add(user)
            db.session.flush()
            patient = Patient(
                id=user.id,
                clinic_id=therapist.clinic_id,
                therapist_id=therapist.id,
                timezone=timezone,
                **fields,
            )
            db.session.add(patient)
            db.session.flush()
            access, refresh = _tokens(user)
            db.session.commit()
            return UserHandle(
                user.id,
                user.clinic_id,
                "patient",
                user.email,
                DEFAULT_PASSWORD,
                access,
                refresh,
                therapist_id=therapist.id,
            )

    return make


DEFAULT_SCHEDULE = {
    "days": [1, 2, 3, 4, 5, 6, 7],
    "slots": [{"slot": "morning", "time": "08:00"}, {"slot": "evening", "time": "19:00"}],
}
DEFAULT_POSTURE_BREAKS = {"enabled": True, "interval_minutes": 40}
TEST_LADDER = [
    # As the API stores a level: every dosage key, ``target`` null when there is none.
    {"level": 1, "sets": 1, "reps": 10, "hold_seconds": 10, "rest_seconds": 10, "target": None},
    {"level": 2, "sets": 2, "reps": 10, "hold_seconds": 10, "rest_seconds": 10, "target": None},
    {"level": 3, "sets": 3, "reps": 10, "hold_seconds": 10, "rest_seconds": 10, "target": None},
]


@dataclass(frozen=True)
class ProgrammeHandle:
    id: uuid.UUID
    patient_id: uuid.UUID
    item_ids: list[uuid.UUID]


@pytest.fixture
def make_exercise(app: Flask) -> Callable[..., uuid.UUID]:
    def make(slug: str | None = None, *, ladder: list[dict[str, Any]] | None = None) -> uuid.UUID:
        from server.programmes.models import Exercise

        with app.app_context():
            n = next(_sequence)
            exercise = Exercise(
                slug=slug or f"test-exercise-{n}",
                category="test",
                name={"en": f"Exercise {n}", "tr": f"Egzersiz {n}"},
                instructions={"en": "Do it slowly.", "tr": "Yavaşça yapın."},
                ladder=ladder or TEST_LADDER,
            )
            db.session.add(exercise)
            db.session.commit()
            return exercise.id

    return make


@pytest.fixture
def make_programme(
    app: Flask, make_exercise: Callable[..., uuid.UUID]
) -> Callable[..., ProgrammeHandle]:
    """Create a programme with revision 1 directly (no API): ``make_programme(patient, ...)``."""

    def make(
        patient: UserHandle,
        *,
        start_date: Any,
        schedule: dict[str, Any] | None = None,
        posture_breaks: dict[str, Any] | None = None,
        levels: list[int] | None = None,
        baseline_pain: float | None = None,
        effective_at: Any = None,
    ) -> ProgrammeHandle:
        from datetime import UTC, datetime, time
        from zoneinfo import ZoneInfo

        from server.accounts.models import Patient
        from server.clock import local_to_utc
        from server.programmes.models import Exercise, Programme, ProgrammeRevision
        from server.programmes.rules import resolve_dosage

        levels = levels or [1, 1]
        exercise_ids = [make_exercise() for _ in levels]
        with app.app_context():
            tz = ZoneInfo(db.session.get(Patient, patient.id).timezone)
            items = []
            for exercise_id, level in zip(exercise_ids, levels, strict=True):
                exercise = db.session.get(Exercise, exercise_id)
                items.append(
                    {
                        "item_id": str(uuid.uuid4()),
                        "exercise_id": str(exercise_id),
                        "exercise_slug": exercise.slug,
                        "level": level,
                        "dosage_override": None,
                        "dosage": resolve_dosage(exercise.ladder, level),
                        "slots": None,
                    }
                )
            programme = Programme(
                clinic_id=patient.clinic_id,
                patient_id=patient.id,
                start_date=start_date,
                baseline_pain=baseline_pain,
                created_by=patient.therapist_id,
            )
            db.session.add(programme)
            db.session.flush()
            db.session.add(
                ProgrammeRevision(
                    programme_id=programme.id,
                    clinic_id=patient.clinic_id,
                    patient_id=patient.id,
                    number=1,
                    kind="initial",
                    items=items,
                    schedule=schedule or DEFAULT_SCHEDULE,
                    posture_breaks=posture_breaks or DEFAULT_POSTURE_BREAKS,
                    author_id=patient.therapist_id,
                    reason="Initial programme",
                    effective_at=effective_at
                    or min(local_to_utc(start_date, time(0, 0), tz), datetime.now(UTC)),
                )
            )
            db.session.commit()
            return ProgrammeHandle(
                programme.id, patient.id, [uuid.UUID(i["item_id"]) for i in items]
            )

    return make


@pytest.fixture
def measure_library(app: Flask, seed_dir: Any) -> dict[str, int]:
    """The outcome-measure library loaded from ``seed/measures`` (committed)."""
    from server.measures.services import load_measures

    with app.app_context():
        counts = load_measures(seed_dir)
        db.session.commit()
    return counts
