"""A patient's plan for one local date: the revision in force, its sessions and their status."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from server.access import Actor, get_scoped, scoped
from server.accounts.models import Patient
from server.audit.services import record_audit
from server.clock import utcnow
from server.extensions import db
from server.programmes import rules
from server.programmes.library import ExerciseLookup, localized
from server.programmes.queries import programme_on, revision_in_force
from server.tracking.models import PostureBreak, SessionLog

# When a slot was logged more than once, the best status counts (as adherence counts it).
STATUS_RANK = {"skipped": 1, "partial": 2, "completed": 3}


def plan_for(
    *, actor: Actor, patient_id: uuid.UUID, day: date | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """The plan of local ``day`` (default: today in the patient's zone), audited.

    Texts are in the patient's language. Past dates show the revision that was in force then,
    never a later one.
    """
    now = now or utcnow()
    patient = get_scoped(Patient, patient_id, actor)
    tz = ZoneInfo(patient.timezone)
    today = rules.local_date_of(now, tz)
    day = day or today
    programme = programme_on(patient.id, day)
    revision = revision_in_force(programme, day, tz) if programme else None
    record_audit(
        actor=actor,
        clinic_id=patient.clinic_id,
        action="plan.read",
        patient_id=patient.id,
        object_type="programme" if revision else "patient",
        object_id=programme.id if revision else patient.id,
        now=now,
    )
    plan: dict[str, Any] = {
        "date": day,
        "today": today,
        "timezone": patient.timezone,
        "language": patient.language,
        "programme_id": programme.id if revision else None,
        "revision": revision.number if revision else None,
        "sessions": [],
        "posture_breaks": None,
    }
    if programme is None or revision is None:
        return plan
    routine = revision.posture_breaks.get("routine")
    lookup = ExerciseLookup(
        programme.clinic_id,
        ids=[uuid.UUID(i["exercise_id"]) for i in revision.items],
        slugs=[routine] if routine else [],
    )
    statuses = _logged_statuses(actor, patient.id, day)
    plan["sessions"] = [
        {
            "slot": session.slot,
            "time": rules.format_hhmm(session.wall_time),
            "starts_at": session.starts_at,
            "local_starts_at": session.starts_at.astimezone(tz),
            "status": rules.session_status(statuses.get(session.slot), day, today),
            "items": [
                _plan_item(item, lookup, patient.language)
                for item in rules.items_for_slot(revision.items, session.slot)
            ],
        }
        for session in rules.sessions_for_date(revision.schedule, day, tz)
    ]
    plan["posture_breaks"] = _posture_breaks(actor, patient, revision.posture_breaks, day, lookup)
    return plan


def _plan_item(item: dict[str, Any], lookup: ExerciseLookup, language: str) -> dict[str, Any]:
    exercise = lookup.find(exercise_id=item["exercise_id"])
    ladder = exercise.ladder if exercise else []
    dosage = item.get("dosage") or rules.resolve_dosage(
        ladder, item["level"], item.get("dosage_override")
    )
    return {
        "item_id": item["item_id"],
        "exercise_id": item["exercise_id"],
        "slug": item.get("exercise_slug") or (exercise.slug if exercise else ""),
        "category": exercise.category if exercise else "",
        "name": localized(exercise.name, language) if exercise else "",
        "instructions": localized(exercise.instructions, language) if exercise else "",
        "media_urls": list(exercise.media_urls or []) if exercise else [],
        "level": item["level"],
        "levels": len(ladder),
        "dosage": dosage,
    }


def _posture_breaks(
    actor: Actor, patient: Patient, rule: dict[str, Any], day: date, lookup: ExerciseLookup
) -> dict[str, Any]:
    window = rules.working_window(patient.work_start, patient.work_end, patient.work_days, day)
    enabled = bool(rule.get("enabled"))
    interval = int(rule.get("interval_minutes") or 0)
    logged = db.session.scalar(
        scoped(PostureBreak, actor)
        .where(PostureBreak.patient_id == patient.id, PostureBreak.local_date == day)
        .with_only_columns(sa.func.count())
    )
    routine = lookup.find(slug=rule.get("routine")) if rule.get("routine") else None
    return {
        "enabled": enabled,
        "interval_minutes": interval,
        "working_day": window is not None,
        "window": (
            {"start": rules.format_hhmm(window[0]), "end": rules.format_hhmm(window[1])}
            if window
            else None
        ),
        "work_days": sorted(patient.work_days or []),
        "prescribed": rules.posture_breaks_prescribed(*window, interval, enabled) if window else 0,
        "logged": logged or 0,
        "routine": (
            {
                "slug": routine.slug,
                "name": localized(routine.name, patient.language),
                "instructions": localized(routine.instructions, patient.language),
                "media_urls": list(routine.media_urls or []),
            }
            if routine
            else None
        ),
    }


def _logged_statuses(actor: Actor, patient_id: uuid.UUID, day: date) -> dict[str, str]:
    rows = db.session.execute(
        scoped(SessionLog, actor)
        .where(SessionLog.patient_id == patient_id, SessionLog.local_date == day)
        .with_only_columns(SessionLog.slot, SessionLog.status)
    ).all()
    best: dict[str, str] = {}
    for slot, status in rows:
        if STATUS_RANK.get(status, 0) > STATUS_RANK.get(best.get(slot, ""), 0):
            best[slot] = status
    return best
