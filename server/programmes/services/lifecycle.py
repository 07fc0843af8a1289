"""A programme's start and end: create it with revision 1 (ending the active one), and end
it today."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from server.access import Actor, get_scoped, scoped
from server.accounts.models import Patient
from server.clock import local_date_of, utcnow
from server.errors import Conflict, Unprocessable
from server.events import ProgrammeEnded, publish
from server.extensions import db
from server.flag_thresholds import apply_overrides
from server.programmes import rules
from server.programmes.items import prescription
from server.programmes.library import template_by_slug
from server.programmes.models import Programme, ProgrammeRevision
from server.programmes.queries import ProgrammeView, revision_of
from server.programmes.schemas import DEFAULT_INTERVAL
from server.programmes.services import revisions
from server.programmes.services.revisions import (
    audit_programme,
    flush_or_conflict,
    locked_programme,
)

NO_POSTURE_BREAKS = {"enabled": False, "interval_minutes": DEFAULT_INTERVAL, "routine": None}


def create_programme(
    *,
    actor: Actor,
    patient_id: uuid.UUID,
    start_date: date,
    template: str | None = None,
    items: list[dict[str, Any]] | None = None,
    schedule: dict[str, Any] | None = None,
    posture_breaks: dict[str, Any] | None = None,
    baseline_pain: float | None = None,
    reason: str | None = None,
    flag_thresholds: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> ProgrammeView:
    """Create a patient's programme and its revision 1 (from a template and/or explicit parts).

    A patient has one active programme: a new one ends the active one on the day before it
    starts, and may then not start in the past (history stays as it was). ``flag_thresholds``
    apply over the template's (``None`` for a key removes the template's override).
    """
    now = now or utcnow()
    patient = get_scoped(Patient, patient_id, actor)
    found = template_by_slug(template) if template else None
    if template and found is None:
        raise Unprocessable("Unknown template.", errors={"template": ["Unknown template."]})
    schedule = schedule or (found.schedule if found else None)
    if schedule is None:
        raise Unprocessable("A schedule is required.", errors={"schedule": ["Required."]})
    raw_items = items if items is not None else (found.items if found else [])
    posture = posture_breaks or (found.posture_breaks if found else NO_POSTURE_BREAKS)
    built, posture = prescription(raw_items, posture, schedule, clinic_id=patient.clinic_id)
    tz = ZoneInfo(patient.timezone)
    previous = db.session.scalar(
        scoped(Programme, actor)
        .where(Programme.patient_id == patient.id, Programme.end_date.is_(None))
        .with_for_update()
    )
    if (last_end := _last_end_date(patient.id)) is not None and start_date <= last_end:
        message = f"Must be after the previous programme's last day ({last_end.isoformat()})."
        raise Unprocessable(message, errors={"start_date": [message]})
    if previous is not None:
        if start_date < local_date_of(now, tz):
            message = "A programme that replaces the active one cannot start in the past."
            raise Unprocessable(message, errors={"start_date": [message]})
        previous.end_date = start_date - timedelta(days=1)
        db.session.flush()
    programme = Programme(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        template_slug=found.slug if found else None,
        start_date=start_date,
        baseline_pain=baseline_pain,
        current_revision=1,
        created_by=actor.user_id,
        created_at=now,
    )
    revision = ProgrammeRevision(
        programme=programme,
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        number=1,
        kind="initial",
        items=built,
        schedule=schedule,
        posture_breaks=posture,
        flag_thresholds=apply_overrides(
            found.flag_thresholds if found else None, flag_thresholds or {}
        ),
        author_id=actor.user_id,
        reason=reason or "Initial programme",
        effective_at=rules.first_effective_at(start_date, tz, now, replaces=previous is not None),
        created_at=now,
    )
    db.session.add_all([programme, revision])
    flush_or_conflict("The patient's programme changed at the same time; reload and retry.")
    audit_programme(actor, programme, "programme.create", now)
    revisions.after_revision_created(revision, tz, now)
    return ProgrammeView(programme, revision)


def _last_end_date(patient_id: uuid.UUID) -> date | None:
    """The last day any of the patient's ended programmes applied (one that ended before it
    started never did): a new programme starts after it, so programmes never overlap."""
    return db.session.scalar(
        sa.select(sa.func.max(Programme.end_date)).where(
            Programme.patient_id == patient_id, Programme.end_date >= Programme.start_date
        )
    )


def end_programme(
    *, actor: Actor, programme_id: uuid.UUID, reason: str, now: datetime | None = None
) -> ProgrammeView:
    """End a programme today (the patient's local today), e.g. at a discharge: today is its
    last day (a programme not started yet never applies), history stays as it was, and 409 once
    it has ended (one a newer programme replaces later may end sooner; that one is ended on its
    own). Reminders stop after today, adherence no longer counts it, and the flag engine closes
    its adherence and progression flags.
    """
    now = now or utcnow()
    programme = locked_programme(actor, programme_id)
    tz = ZoneInfo(db.session.get(Patient, programme.patient_id).timezone)
    today = local_date_of(now, tz)
    # A programme a newer one will replace later still runs until then: it may end sooner.
    if programme.end_date is not None and programme.end_date <= today:
        raise Conflict(
            f"This programme has already ended (on {programme.end_date.isoformat()}).",
            end_date=programme.end_date.isoformat(),
        )
    programme.end_date, programme.end_reason = today, reason
    db.session.flush()
    audit_programme(actor, programme, "programme.end", now)
    publish(
        ProgrammeEnded(
            patient_id=programme.patient_id, clinic_id=programme.clinic_id, last_day=today, now=now
        )
    )
    return ProgrammeView(programme, revision_of(programme.id, programme.current_revision))
