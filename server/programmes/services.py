"""Programmes as immutable revisions: create, revise, change intensity (reads: ``reads.py``).

Services flush, never commit (``allow`` commits once per request). Every write of a patient's
programme is audited here, every read in ``reads.py``. The helpers at the end are for other
domains (adherence, flags, reminders); they do not check access or audit: their callers do.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from server.access import Actor, get_scoped, scoped
from server.accounts.models import Patient
from server.audit import services as audit
from server.clock import local_date_of, utcnow
from server.errors import Conflict, NotFound, Unprocessable
from server.events import ProgrammeEnded, ProgrammeRevised, publish
from server.extensions import db
from server.flag_thresholds import apply_overrides
from server.programmes import rules
from server.programmes.items import prescription
from server.programmes.library import ExerciseLookup, template_by_slug
from server.programmes.models import Programme, ProgrammeRevision
from server.programmes.schemas import DEFAULT_INTERVAL

NO_POSTURE_BREAKS = {"enabled": False, "interval_minutes": DEFAULT_INTERVAL, "routine": None}


@dataclass(frozen=True)
class ProgrammeView:
    """A programme together with its current revision (what the API returns)."""

    programme: Programme
    revision: ProgrammeRevision

    def __getattr__(self, name: str) -> Any:
        return getattr(self.programme, name)


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
    _flush_or_conflict("The patient's programme changed at the same time; reload and retry.")
    audit_programme(actor, programme, "programme.create", now)
    after_revision_created(revision, tz, now)
    return ProgrammeView(programme, revision)


def revise_programme(
    *,
    actor: Actor,
    programme_id: uuid.UUID,
    base_revision: int,
    reason: str,
    items: list[dict[str, Any]] | None = None,
    schedule: dict[str, Any] | None = None,
    posture_breaks: dict[str, Any] | None = None,
    flag_thresholds: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> ProgrammeView:
    """A new revision on top of ``base_revision`` (409 when stale); omitted parts carry over,
    and ``flag_thresholds`` change the base revision's (``None`` for a key removes it)."""
    now = now or utcnow()
    programme, current = _lock_current(actor, programme_id, base_revision)
    schedule = schedule or current.schedule
    built, posture = prescription(
        items if items is not None else current.items,
        posture_breaks or current.posture_breaks,
        schedule,
        clinic_id=programme.clinic_id,
        previous=current.items,
        previous_routine=current.posture_breaks.get("routine"),
    )
    thresholds = apply_overrides(current.flag_thresholds, flag_thresholds or {})
    revision = _append_revision(
        programme, actor, "revision", built, schedule, posture, reason, now, thresholds
    )
    return ProgrammeView(programme, revision)


def change_intensity(
    *,
    actor: Actor,
    programme_id: uuid.UUID,
    base_revision: int,
    direction: str,
    reason: str,
    item_ids: list[uuid.UUID] | None = None,
    now: datetime | None = None,
) -> ProgrammeView:
    """Move the chosen items (default: all) one level up or down their ladders.

    All or nothing: 422 with one error per item already at the end of its ladder. A moved
    item's ``dosage_override`` is cleared, since it was tuned for the old level.
    """
    now = now or utcnow()
    programme, current = _lock_current(actor, programme_id, base_revision)
    chosen = {str(i) for i in item_ids} if item_ids else {i["item_id"] for i in current.items}
    unknown = chosen - {i["item_id"] for i in current.items}
    if unknown:
        message = f"Not items of revision {current.number}: {', '.join(sorted(unknown))}."
        raise Unprocessable(message, errors={"item_ids": [message]})
    lookup = ExerciseLookup(programme.clinic_id, ids=[i["exercise_id"] for i in current.items])
    errors: dict[str, list[str]] = {}
    items = []
    for item in current.items:
        item = dict(item)
        exercise = lookup.find(exercise_id=item["exercise_id"])
        if item["item_id"] in chosen and exercise is None:
            errors[f"items.{item['item_id']}"] = ["Its exercise is no longer available."]
        elif item["item_id"] in chosen:
            try:
                item["level"] = rules.move_level(len(exercise.ladder), item["level"], direction)
            except ValueError as error:  # LadderEndError included
                errors[f"items.{item['item_id']}"] = [f"{exercise.slug}: {error}"]
                continue
            item["dosage_override"] = None
            item["dosage"] = rules.resolve_dosage(exercise.ladder, item["level"])
        items.append(item)
    if errors:
        raise Unprocessable("Some items cannot move along their ladder.", errors=errors)
    revision = _append_revision(
        programme,
        actor,
        direction,
        items,
        current.schedule,
        current.posture_breaks,
        reason,
        now,
        current.flag_thresholds,
    )
    return ProgrammeView(programme, revision)


def _lock_current(
    actor: Actor, programme_id: uuid.UUID, base_revision: int
) -> tuple[Programme, ProgrammeRevision]:
    """Lock the programme row (FOR UPDATE) and check ``base_revision`` is still current."""
    programme = _locked_programme(actor, programme_id)
    if base_revision != programme.current_revision:
        raise Conflict(
            f"base_revision {base_revision} is stale; the current revision is "
            f"{programme.current_revision}.",
            current_revision=programme.current_revision,
        )
    if programme.end_date is not None:
        raise Conflict(
            "This programme has ended and can no longer change.",
            current_revision=programme.current_revision,
        )
    return programme, revision_of(programme.id, programme.current_revision)


def _last_end_date(patient_id: uuid.UUID) -> date | None:
    """The last day any of the patient's ended programmes applied (one that ended before it
    started never did): a new programme starts after it, so programmes never overlap."""
    return db.session.scalar(
        sa.select(sa.func.max(Programme.end_date)).where(
            Programme.patient_id == patient_id, Programme.end_date >= Programme.start_date
        )
    )


def _locked_programme(actor: Actor, programme_id: uuid.UUID) -> Programme:
    """The programme row, locked (FOR UPDATE) until commit; 404 when the actor cannot see it."""
    programme = db.session.scalar(
        scoped(Programme, actor)
        .where(Programme.id == programme_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if programme is None:
        raise NotFound("No programme with this id.")
    return programme


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
    programme = _locked_programme(actor, programme_id)
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


def _append_revision(
    programme: Programme,
    actor: Actor,
    kind: str,
    items: list[dict[str, Any]],
    schedule: dict[str, Any],
    posture_breaks: dict[str, Any],
    reason: str,
    now: datetime,
    flag_thresholds: dict[str, Any],
) -> ProgrammeRevision:
    tz = ZoneInfo(db.session.get(Patient, programme.patient_id).timezone)
    number = programme.current_revision + 1
    revision = ProgrammeRevision(
        programme_id=programme.id,
        clinic_id=programme.clinic_id,
        patient_id=programme.patient_id,
        number=number,
        kind=kind,
        items=items,
        schedule=schedule,
        posture_breaks=posture_breaks,
        flag_thresholds=dict(flag_thresholds),
        author_id=actor.user_id,
        reason=reason,
        effective_at=rules.next_effective_at(programme.start_date, tz, now),
        created_at=now,
    )
    programme.current_revision = number
    db.session.add(revision)
    # The unique (programme_id, number) is the backstop should two writers pass the lock.
    _flush_or_conflict("Another revision was made at the same time.", current_revision=number)
    audit_programme(actor, programme, f"programme.{kind}", now)
    after_revision_created(revision, tz, now)
    return revision


def _flush_or_conflict(message: str, **extra: Any) -> None:
    try:
        db.session.flush()
    except sa.exc.IntegrityError as error:
        raise Conflict(message, **extra) from error


def revision_of(programme_id: uuid.UUID, number: int) -> ProgrammeRevision:
    """Revision ``number`` of a programme (it exists: revisions are never deleted)."""
    return db.session.scalars(
        sa.select(ProgrammeRevision).where(
            ProgrammeRevision.programme_id == programme_id, ProgrammeRevision.number == number
        )
    ).one()


def audit_programme(actor: Actor, programme: Programme, action: str, now: datetime) -> None:
    """Record ``action`` on ``programme`` for its patient."""
    target = ("programme", programme.id)
    audit.record(action, actor=actor, patient_id=programme.patient_id, target=target, now=now)


def after_revision_created(revision: ProgrammeRevision, tz: ZoneInfo, now: datetime) -> None:
    """After every new revision (revision 1 included), same transaction: reminders re-plan, and
    the flag engine re-evaluates from the day it takes effect (adherence is judged against the
    new prescription; a progression makes a flare-up expected).
    """
    publish(
        ProgrammeRevised(
            patient_id=revision.patient_id,
            clinic_id=revision.clinic_id,
            effective_on=local_date_of(revision.effective_at, tz),
            now=now,
        )
    )
