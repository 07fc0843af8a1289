"""Reads about accounts that other domains and the app's edges use, and the patient views."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_jwt_extended import get_jwt

from server.access import Actor, get_scoped
from server.accounts.models import Consent, ConsentText, Patient, User
from server.audit import services as audit
from server.extensions import db


def signed_in_language() -> str | None:
    """The language of the user whose access token this request verified, if any."""
    try:
        subject = get_jwt().get("sub")
    except RuntimeError:  # no token was verified in this request
        return None
    user = db.session.get(User, uuid.UUID(subject)) if subject else None
    return user.language if user is not None else None


SEVERITIES = ("urgent", "high", "normal", "low", "info")


def no_open_flags() -> dict[str, int]:
    return dict.fromkeys(SEVERITIES, 0)


@dataclass(frozen=True)
class PatientSummary:
    """A patient's last 7 days at a glance (PRODUCT.md §2)."""

    adherence_7d: float | None = None
    pain_7d_mean: float | None = None
    open_flags: dict[str, int] = field(default_factory=no_open_flags)
    last_activity_at: datetime | None = None
    # Each answered outcome measure's latest change from baseline (overview.latest_outcomes).
    outcomes: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class PatientRow:
    """A listed patient: what the list shows of the profile, read as one Core row, its ids as
    text (``key``: the id as ``database.any_of.id_text`` reads it, for the summary's reads)."""

    key: str
    id: str
    name: str
    email: str
    timezone: str
    language: str
    birth_year: int | None
    therapist_id: str | None
    activated: bool
    created_at: datetime
    last_activity_at: datetime | None


@dataclass(frozen=True)
class PatientView:
    """What the patient endpoints return: the profile and its summary."""

    patient: Patient | PatientRow
    summary: PatientSummary


def patient_views(patients: Sequence[Patient | PatientRow], *, now: datetime) -> list[PatientView]:
    """Pair each patient with their summary, in the same order.

    The summary reads adherence, flags and records, which sit above accounts: it is computed by
    ``server.overview.queries.summarise_patients``, which ``create_app`` plugs in as
    ``patient_summaries`` (``server/wiring.py``).
    """
    summaries = current_app.extensions["patient_summaries"](patients, now=now)
    return [PatientView(p, summaries[p.id]) for p in patients]


def current_consent_text(today: date) -> ConsentText | None:
    """The consent text in force on ``today``: the highest version already published."""
    return db.session.scalar(
        sa.select(ConsentText)
        .where(ConsentText.published <= today)
        .order_by(ConsentText.version.desc())
        .limit(1)
    )


def consents_of(patient_id: uuid.UUID) -> list[Consent]:
    """Every consent decision of a patient, oldest first (what an export lists)."""
    return list(
        db.session.scalars(
            sa.select(Consent)
            .where(Consent.patient_id == patient_id)
            .order_by(Consent.given_at, Consent.id)
        )
    )


def latest_consent(patient_id: uuid.UUID, *, lock: bool = False) -> Consent | None:
    """The patient's latest consent decision (none if never given), ``lock``-ed for a change."""
    statement = (
        sa.select(Consent)
        .where(Consent.patient_id == patient_id)
        .order_by(Consent.given_at.desc(), Consent.id.desc())
        .limit(1)
    )
    return db.session.scalar(statement.with_for_update() if lock else statement)


def consent_status(patient: Patient, latest: Consent | None, today: date) -> dict[str, Any]:
    """Whether the patient must be asked (again): no consent to the version in force, or a
    withdrawal. ``current_version`` is null while no text is published."""
    text = current_consent_text(today)
    accepted = latest.version if latest is not None and latest.withdrawn_at is None else None
    current = text.version if text is not None else None
    return {
        "current_version": current,
        "accepted_version": accepted,
        "withdrawn": patient.consent_withdrawn_at is not None,
        "consent_required": current is not None and accepted != current,
    }


def my_consents(*, actor: Actor, today: date) -> dict[str, Any]:
    """The patient's consent history and status (an audited read)."""
    patient = get_scoped(Patient, actor.user_id, actor)
    history = consents_of(patient.id)
    status = consent_status(patient, history[-1] if history else None, today)
    audit.read("consent.list", actor=actor, patient_id=patient.id, target=("consent", None))
    return {**status, "items": history}
