"""Changing a clinic's settings (clinic admins). Flush, never commit.

A change of the clinic's flag thresholds queues every patient of the clinic the flag engine
knows for re-evaluation, in the same transaction; each kind of change is its own audit event.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from server.access import Actor
from server.accounts.models import Clinic
from server.audit import services as audit
from server.clinics.queries import clinic_settings
from server.clock import utcnow
from server.extensions import db
from server.flag_thresholds import apply_overrides
from server.flags.services import queue_clinic_evaluation

# Body field → Clinic column.
COLUMNS = {
    "name": "name",
    "timezone": "timezone",
    "emergency_number": "emergency_number",
    "digest_time": "digest_time",
    "default_language": "language",
    "erasure_retention": "erasure_retention",
}


def update_clinic(
    *, actor: Actor, changes: dict[str, Any], now: datetime | None = None
) -> dict[str, Any]:
    """Apply ``changes`` to the actor's clinic; thresholds merge into the clinic's overrides
    (``None`` for a key restores the default). Returns the settings as they now are."""
    now = now or utcnow()
    clinic = db.session.scalars(
        sa.select(Clinic)
        .where(Clinic.id == actor.clinic_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    actions = []
    changed = {
        column: changes[field]
        for field, column in COLUMNS.items()
        if field in changes and getattr(clinic, column) != changes[field]
    }
    if changed:
        for column, value in changed.items():
            setattr(clinic, column, value)
        actions.append("clinic.update")
    if "flag_thresholds" in changes:
        thresholds = apply_overrides(clinic.flag_thresholds, changes["flag_thresholds"])
        if thresholds != clinic.flag_thresholds:
            clinic.flag_thresholds = thresholds
            actions.append("clinic.flag_thresholds_change")
    if actions:
        audit.record(actions, actor=actor, target=("clinic", clinic.id), now=now)
        db.session.flush()
    if "clinic.flag_thresholds_change" in actions:
        queue_clinic_evaluation(clinic_id=clinic.id, now=now)
    return clinic_settings(clinic)
