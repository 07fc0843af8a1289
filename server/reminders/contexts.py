"""Load what the reminder rules need for a batch of patients in a few set-based queries."""

from __future__ import annotations

import functools
import json
import logging
import uuid
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa

from server.accounts.models import Patient, User
from server.extensions import db
from server.measures.due import unanswered_due_dates
from server.measures.models import MeasureSchedule
from server.programmes.models import Programme, ProgrammeRevision
from server.reminders.batches import among
from server.reminders.rules import ProgrammeWindow, ReminderContext, RevisionWindow
from server.tracking.models import PostureBreak, SessionLog

log = logging.getLogger(__name__)
UTC_ZONE = ZoneInfo("UTC")
# Core tables, not the mapped classes: a statement naming a mapped attribute goes through the
# ORM's result loading, a tenth of a claim's CPU for these plain columns.
PATIENTS = Patient.__table__
USERS = User.__table__
PROGRAMMES = Programme.__table__
REVISIONS = ProgrammeRevision.__table__
SESSION_LOGS = SessionLog.__table__
POSTURE_BREAKS = PostureBreak.__table__
MEASURE_SCHEDULES = MeasureSchedule.__table__


@dataclass(frozen=True)
class PatientReminderInfo:
    """A patient's clinic, language and rule context."""

    patient_id: uuid.UUID
    clinic_id: uuid.UUID
    language: str
    ctx: ReminderContext


def zone(name: str, *, patient_id: uuid.UUID | None = None) -> ZoneInfo:
    """The IANA zone ``name``; UTC (logged) when unknown, so one bad row cannot stop a tick."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("unknown time zone, using UTC", extra={"patient_id": str(patient_id)})
        return UTC_ZONE


@functools.lru_cache(maxsize=1024)
def _document(text: str | None) -> Any:
    """A JSON column's value, parsed once per distinct text: patients given one template share
    its schedule, and parsing was a tenth of a tick. Shared between contexts: never mutated."""
    return None if text is None else json.loads(text)


@functools.lru_cache(maxsize=256)
def _weekdays(text: str | None) -> frozenset[int]:
    """ISO weekdays from a JSON list's text, parsed once per distinct list."""
    return frozenset(int(d) for d in (_document(text) or ()))


def _programmes(
    patient_ids: Collection[uuid.UUID], since: date
) -> dict[uuid.UUID, list[ProgrammeWindow]]:
    """Each patient's programmes that still apply from local date ``since``, with their
    revisions: one query (each programme's rows joined to its revisions)."""
    rows = db.session.execute(
        sa.select(
            PROGRAMMES.c.id,
            PROGRAMMES.c.patient_id,
            PROGRAMMES.c.start_date,
            PROGRAMMES.c.end_date,
            PROGRAMMES.c.created_at,
            REVISIONS.c.number,
            REVISIONS.c.effective_at,
            sa.cast(REVISIONS.c.schedule, sa.Text).label("schedule"),
            sa.cast(REVISIONS.c.posture_breaks, sa.Text).label("posture_breaks"),
        )
        .outerjoin(REVISIONS, REVISIONS.c.programme_id == PROGRAMMES.c.id)
        .where(
            among(PROGRAMMES.c.patient_id, patient_ids),
            sa.or_(PROGRAMMES.c.end_date.is_(None), PROGRAMMES.c.end_date >= since),
        )
        .order_by(PROGRAMMES.c.id, REVISIONS.c.number)
    ).all()
    programmes: dict[uuid.UUID, tuple[Any, ...]] = {}
    revisions: dict[uuid.UUID, list[RevisionWindow]] = defaultdict(list)
    for programme_id, patient_id, start, end, created, number, effective, schedule, breaks in rows:
        programmes.setdefault(programme_id, (patient_id, start, end, created))
        if number is not None:
            schedule, breaks = _document(schedule) or {}, _document(breaks) or {}
            revisions[programme_id].append(RevisionWindow(number, effective, schedule, breaks))
    by_patient: dict[uuid.UUID, list[ProgrammeWindow]] = defaultdict(list)
    for programme_id, (patient_id, start, end, created) in programmes.items():
        by_patient[patient_id].append(
            ProgrammeWindow(start, end, tuple(revisions[programme_id]), created)
        )
    return by_patient


def _logged_sessions(
    patient_ids: Collection[uuid.UUID], since: date
) -> dict[uuid.UUID, set[tuple[date, str]]]:
    logged: dict[uuid.UUID, set[tuple[date, str]]] = defaultdict(set)
    rows = db.session.execute(
        sa.select(SESSION_LOGS.c.patient_id, SESSION_LOGS.c.local_date, SESSION_LOGS.c.slot).where(
            among(SESSION_LOGS.c.patient_id, patient_ids), SESSION_LOGS.c.local_date >= since
        )
    ).all()
    for patient_id, local_date, slot in rows:
        logged[patient_id].add((local_date, slot))
    return logged


# A patient's own settings the rules read, in :func:`rule_context`'s order (selected with a
# record's or a patient's other columns).
PATIENT_RULE_COLUMNS = (
    PATIENTS.c.timezone,
    PATIENTS.c.reminders_enabled,
    PATIENTS.c.consent_withdrawn_at,
    PATIENTS.c.erased_at,
    PATIENTS.c.quiet_start,
    PATIENTS.c.quiet_end,
    PATIENTS.c.work_start,
    PATIENTS.c.work_end,
    sa.cast(PATIENTS.c.work_days, sa.Text).label("work_days"),
)


def rule_context(
    patient_id: uuid.UUID,
    timezone: str,
    enabled: bool,
    consent_withdrawn_at: datetime | None,
    erased_at: datetime | None,
    quiet_start: time,
    quiet_end: time,
    work_start: time,
    work_end: time,
    work_days: str | None,
    *,
    programmes: tuple[ProgrammeWindow, ...] = (),
    logged_sessions: frozenset[tuple[date, str]] = frozenset(),
    last_posture_break_at: datetime | None = None,
    measures_due: frozenset[date] = frozenset(),
) -> ReminderContext:
    """The rule context of a patient from :data:`PATIENT_RULE_COLUMNS` and what was loaded
    about their programmes and records."""
    return ReminderContext(
        tz=zone(timezone, patient_id=patient_id),
        programmes=programmes,
        # Withdrawn consent or an erasure stop reminders as the patient's own switch does.
        reminders_enabled=enabled and consent_withdrawn_at is None and erased_at is None,
        quiet_start=quiet_start,
        quiet_end=quiet_end,
        work_start=work_start,
        work_end=work_end,
        work_days=_weekdays(work_days),
        logged_sessions=logged_sessions,
        last_posture_break_at=last_posture_break_at,
        measures_due=measures_due,
    )


def load_reminder_infos(
    patient_ids: Collection[uuid.UUID], *, since: date
) -> dict[uuid.UUID, PatientReminderInfo]:
    """Rule contexts for ``patient_ids``; logs from local date ``since`` on are considered."""
    ids = list(set(patient_ids))
    if not ids:
        return {}
    programmes = _programmes(ids, since)
    logged = _logged_sessions(ids, since)
    # The last posture break beside the patient's row (the (patient_id, local_date) index).
    last_break = (
        sa.select(sa.func.max(POSTURE_BREAKS.c.recorded_at))
        .where(POSTURE_BREAKS.c.patient_id == PATIENTS.c.id, POSTURE_BREAKS.c.local_date >= since)
        .scalar_subquery()
    )
    # Whether the patient has questionnaires at all, so only those are looked up (most are not).
    has_measures = sa.exists().where(MEASURE_SCHEDULES.c.patient_id == PATIENTS.c.id)
    rows = db.session.execute(
        sa.select(
            PATIENTS.c.id,
            PATIENTS.c.clinic_id,
            USERS.c.language,
            last_break.label("last_break"),
            has_measures.label("has_measures"),
            *PATIENT_RULE_COLUMNS,
        )
        .join(USERS, USERS.c.id == PATIENTS.c.id)
        .where(among(PATIENTS.c.id, ids))
    ).all()
    with_measures = [row.id for row in rows if row.has_measures]
    measures_due = unanswered_due_dates(with_measures, since) if with_measures else {}
    infos = {}
    none: tuple[Any, ...] = ()
    # Unpacked: a Row's named attributes cost a lookup each, 13 a patient.
    for patient_id, clinic_id, language, last_break, _, *patient in rows:
        ctx = rule_context(
            patient_id,
            *patient,
            programmes=tuple(programmes.get(patient_id, none)),
            logged_sessions=frozenset(logged.get(patient_id, none)),
            last_posture_break_at=last_break,
            measures_due=frozenset(measures_due.get(patient_id, none)),
        )
        infos[patient_id] = PatientReminderInfo(patient_id, clinic_id, language, ctx)
    return infos
