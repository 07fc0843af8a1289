"""Idempotent demo clinic and staff accounts (PRODUCT.md §6)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from server.accounts.models import Clinic, User
from server.accounts.passwords import hash_password
from server.extensions import db


def ensure_clinic(spec: dict[str, Any]) -> Clinic:
    """Return the clinic named ``spec['name']``, creating it on first run."""
    clinic = db.session.scalar(sa.select(Clinic).where(Clinic.name == spec["name"]))
    if clinic is None:
        clinic = Clinic(
            name=spec["name"],
            timezone=spec.get("timezone", "Europe/Istanbul"),
            language=spec.get("language", "tr"),
            emergency_number=spec.get("emergency_number", "112"),
        )
        db.session.add(clinic)
        db.session.flush()
    return clinic


def ensure_staff(clinic: Clinic, spec: dict[str, Any]) -> User:
    """Return the staff user with ``spec['email']``, creating it on first run."""
    email = spec["email"].lower()
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is None:
        user = User(
            clinic_id=clinic.id,
            email=email,
            name=spec["name"],
            role=spec["role"],
            language=spec.get("language", "tr"),
            password_hash=hash_password(spec["password"]),
        )
        db.session.add(user)
        db.session.flush()
    return user
