"""A patient's plan for one local date: the revision in force, its sessions and their status."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import cachetools
from flask import current_app
from sqlalchemy.orm import defaultload

from server.access import Actor, get_scoped
from server.accounts.models import Patient, User
from server.audit import services as audit
from server.clock import format_hhmm, local_date_of, utcnow
from server.programmes import rules
from server.programmes.in_force import InForce, in_force_on
from server.programmes.library import ExerciseLookup, localized
from server.programmes.plan_schemas import PlanSessionOut

# The plan needs the patient's language (on their user row), not their clinic.
WITHOUT_CLINIC = (defaultload(Patient.user).lazyload(User.clinic),)


def plan_for(
    *, actor: Actor, patient_id: uuid.UUID, day: date | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """The plan of local ``day`` (default: today in the patient's zone), audited.

    Texts are in the patient's language. Past dates show the revision that was in force then,
    never a later one.
    """
    now = now or utcnow()
    patient = get_scoped(Patient, patient_id, actor, options=WITHOUT_CLINIC)
    tz = ZoneInfo(patient.timezone)
    today = local_date_of(now, tz)
    day = day or today
    in_force = in_force_on(patient.id, day, tz)
    revision = in_force if in_force is not None and in_force.revision is not None else None
    plan: dict[str, Any] = {
        "date": day,
        "today": today,
        "timezone": patient.timezone,
        "language": patient.language,
        "programme_id": revision.programme_id if revision else None,
        "revision": revision.revision if revision else None,
        "sessions": [],
        "posture_breaks": None,
        "measures": _due_measures(patient, day),
    }
    event = {
        "actor": actor,
        "patient_id": patient.id,
        "target": ("programme", revision.programme_id) if revision else "patient",
        "now": now,
    }
    # The audit row is the only write, one INSERT written last (on SQLite the request holds the
    # write lock for it only), with the day's logs on PostgreSQL: one round trip for both.
    if revision is not None:
        _fill_plan(plan, patient, revision, day, today, tz, event)
    else:
        audit.read("plan.read", **event)
    return plan


def _fill_plan(
    plan: dict[str, Any],
    patient: Patient,
    revision: InForce,
    day: date,
    today: date,
    tz: ZoneInfo,
    event: dict[str, Any],
) -> None:
    prescribed = _prescribed_day(revision, day, tz, patient.language)
    statuses, breaks_logged = _logged(patient.id, day, event)
    # The cached sessions are dumped already (PlanOut.sessions passes them through).
    plan["sessions"] = [
        {**session, "status": rules.session_status(statuses.get(session["slot"]), day, today)}
        for session in prescribed.sessions
    ]
    plan["posture_breaks"] = _posture_breaks(
        patient, revision.posture_breaks, day, prescribed.routine, breaks_logged
    )


@dataclass(frozen=True)
class PrescribedDay:
    """What one revision prescribes on one local date, in one language: the same for every
    request of that day, so built once (see :data:`_prescribed_days`), its sessions dumped
    with :class:`PlanSessionOut` (all but ``status``). Read-only."""

    sessions: tuple[dict[str, Any], ...]
    routine: dict[str, Any] | None


_SESSION_DUMP = PlanSessionOut(exclude=("status",))

# Revisions are immutable (their dosages are snapshots), so a prescribed day changes only with
# its exercises' texts: the TTL bounds how long a clinic's edit of its own exercise, or a newly
# added one that shadows a library slug (the posture-break routine is named by slug), takes
# to show.
_prescribed_days: cachetools.TTLCache = cachetools.TTLCache(maxsize=4096, ttl=300)


@cachetools.cached(
    _prescribed_days,
    key=lambda revision, day, tz, language: (
        revision.programme_id,
        revision.revision,
        day,
        tz.key,
        language,
    ),
    lock=threading.Lock(),
)
def _prescribed_day(revision: InForce, day: date, tz: ZoneInfo, language: str) -> PrescribedDay:
    routine_slug = revision.posture_breaks.get("routine")
    lookup = ExerciseLookup(
        revision.clinic_id,
        ids=[uuid.UUID(i["exercise_id"]) for i in revision.items],
        slugs=[routine_slug] if routine_slug else [],
    )
    sessions = tuple(
        _SESSION_DUMP.dump(
            {
                "slot": session.slot,
                "time": format_hhmm(session.wall_time),
                "starts_at": session.starts_at,
                "local_starts_at": session.starts_at.astimezone(tz),
                "items": [
                    _plan_item(item, lookup, language)
                    for item in rules.items_for_slot(revision.items, session.slot)
                ],
            }
        )
        for session in rules.sessions_for_date(revision.schedule, day, tz)
    )
    routine = lookup.find(slug=routine_slug) if routine_slug else None
    return PrescribedDay(
        sessions,
        {
            "slug": routine.slug,
            "name": localized(routine.name, language),
            "instructions": localized(routine.instructions, language),
            "media_urls": list(routine.media_urls or []),
        }
        if routine
        else None,
    )


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
    patient: Patient,
    rule: dict[str, Any],
    day: date,
    routine: dict[str, Any] | None,
    logged: int,
) -> dict[str, Any]:
    window = rules.working_window(patient.work_start, patient.work_end, patient.work_days, day)
    enabled = bool(rule.get("enabled"))
    interval = int(rule.get("interval_minutes") or 0)
    return {
        "enabled": enabled,
        "interval_minutes": interval,
        "working_day": window is not None,
        "window": (
            {"start": format_hhmm(window[0]), "end": format_hhmm(window[1])} if window else None
        ),
        "work_days": sorted(patient.work_days or []),
        "prescribed": rules.posture_breaks_prescribed(*window, interval, enabled) if window else 0,
        "logged": logged,
        "routine": routine,
    }


def _logged(patient_id: uuid.UUID, day: date, event: dict[str, Any]) -> tuple[dict[str, str], int]:
    """(best status per slot, posture breaks logged) on local ``day``, read with the request's
    ``plan.read`` ``event`` written. The logs are tracking's, above programmes: this is
    ``tracking.queries.logged_on_day``, which ``create_app`` plugs in as ``day_logs``
    (``server/wiring.py``)."""
    return current_app.extensions["day_logs"](patient_id, day, event)


def _due_measures(patient: Patient, day: date) -> list[dict[str, Any]]:
    """The outcome questionnaires open on local ``day``, in the patient's language. They are
    measures', above programmes: ``measures.due.due_on``, plugged in as ``due_measures``
    (``server/wiring.py``)."""
    return current_app.extensions["due_measures"](patient, day)
