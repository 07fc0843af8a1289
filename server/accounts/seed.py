"""Idempotent demo clinic and staff accounts (PRODUCT.md §6), and the consent texts."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from server.accounts.models import LANGUAGES, Clinic, ConsentText, User
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


class ConsentSeedError(ValueError):
    """A consent text file that cannot be loaded (named in the message)."""


def _consent_text(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ConsentSeedError(f"{path}: not a mapping")
    version, published, text = data.get("version"), data.get("published"), data.get("text")
    if not isinstance(version, int) or version < 1 or not isinstance(published, date):
        raise ConsentSeedError(f"{path}: needs a positive integer version and a published date")
    if not isinstance(text, dict) or any(
        not str(text.get(lang) or "").strip() for lang in LANGUAGES
    ):
        raise ConsentSeedError(f"{path}: needs the text in {', '.join(LANGUAGES)}")
    return {"version": version, "published": published, "text": {k: text[k] for k in LANGUAGES}}


def load_consent_texts(seed_dir: Path) -> dict[str, int]:
    """Upsert every ``seed_dir/consents/*.yaml`` by version; returns how many there are."""
    folder = seed_dir / "consents"
    texts = [_consent_text(p) for p in sorted(folder.glob("*.yaml"))] if folder.is_dir() else []
    existing = {t.version: t for t in db.session.scalars(sa.select(ConsentText))}
    for data in texts:
        row = existing.get(data["version"])
        if row is None:
            db.session.add(ConsentText(**data))
        elif (row.published, row.text) != (data["published"], data["text"]):
            row.published, row.text = data["published"], data["text"]
    db.session.flush()
    return {"consent_texts": len(texts)}
