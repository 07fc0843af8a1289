"""Every revision after the first: revise a programme, move its intensity, and the lock,
audit and follow-up (``ProgrammeRevised``) that every new revision shares."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from server.access import Actor, scoped
from server.accounts.models import Patient
from server.audit import services as audit
from server.clock import local_date_of, utcnow
from server.errors import Conflict, NotFound, Unprocessable
from server.events import ProgrammeRevised, publish
from server.extensions import db
from server.flag_thresholds import apply_overrides
from server.programmes import rules
from server.programmes.items import prescription
from server.programmes.library import ExerciseLookup
from server.programmes.models import Programme, ProgrammeRevision
from server.programmes.queries import ProgrammeView, revision_of


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
    programme = locked_programme(actor, programme_id)
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


def locked_programme(actor: Actor, programme_id: uuid.UUID) -> Programme:
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
    flush_or_conflict("Another revision was made at the same time.", current_revision=number)
    audit_programme(actor, programme, f"programme.{kind}", now)
    after_revision_created(revision, tz, now)
    return revision


def flush_or_conflict(message: str, **extra: Any) -> None:
    try:
        db.session.flush()
    except sa.exc.IntegrityError as error:
        raise Conflict(message, **extra) from error


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
