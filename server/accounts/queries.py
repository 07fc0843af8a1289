"""Reads about accounts that other domains and the app's edges use, and the patient views."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app
from flask_jwt_extended import get_jwt

from server.accounts.models import Patient, User
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


@dataclass(frozen=True)
class PatientView:
    """What the patient endpoints return: the profile and its summary."""

    patient: Patient
    summary: PatientSummary


def patient_views(patients: Sequence[Patient], *, now: datetime) -> list[PatientView]:
    """Pair each patient with their summary, in the same order.

    The summary reads adherence, flags and records, which sit above accounts: it is computed by
    ``server.overview.queries.summarise_patients``, which ``create_app`` plugs in as
    ``patient_summaries`` (``server/wiring.py``).
    """
    summaries = current_app.extensions["patient_summaries"](patients, now=now)
    return [PatientView(p, summaries[p.id]) for p in patients]
