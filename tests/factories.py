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
