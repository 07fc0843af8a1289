"""Reading a clinic's settings (not patient data: no audit)."""

from __future__ import annotations

from typing import Any

from server.access import Actor
from server.accounts.models import Clinic
from server.extensions import db
from server.flag_thresholds import resolve_thresholds


def clinic_settings(clinic: Clinic) -> dict[str, Any]:
    """The clinic's settings with every flag threshold in force for it and where it came from."""
    resolved = resolve_thresholds(clinic=clinic.flag_thresholds)
    in_force = resolved.values.as_dict()
    return {
        "id": clinic.id,
        "name": clinic.name,
        "timezone": clinic.timezone,
        "emergency_number": clinic.emergency_number,
        "digest_time": clinic.digest_time,
        "language": clinic.language,
        "erasure_retention": clinic.erasure_retention,
        "flag_thresholds": clinic.flag_thresholds,
        "effective_flag_thresholds": {
            name: {"value": value, "source": resolved.sources[name]}
            for name, value in in_force.items()
        },
    }


def get_clinic(*, actor: Actor) -> dict[str, Any]:
    """The settings of the actor's own clinic."""
    return clinic_settings(db.session.get_one(Clinic, actor.clinic_id))
