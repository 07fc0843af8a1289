"""Load what the reminder rules need for a batch of patients in a few set-based queries."""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa

from server.accounts.models import Patient, User
from server.extensions import db
from server.measures.due import unanswered_due_dates
from server.programmes.models import Programme, ProgrammeRevision
from server.reminders.rules import ProgrammeWindow, ReminderContext, RevisionWindow
from server.tracking.models import PostureBreak, SessionLog

log = logging.getLogger(__name__)
UTC_ZONE = ZoneInfo("UTC")


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


def _programmes(
    patient_ids: Collection[uuid.UUID], since: date
) -> dict[uuid.UUID, list[ProgrammeWindow]]:
    """Each patient's programmes that still apply from local date ``since``, with revisions."""
    programmes = db.session.execute(
        sa.select(
            Programme.id,
            Programme.patient_id,
            Programme.start_date,
            Programme.end_date,
            Programme.created_at,
        ).where(
            Programme.patient_id.in_(patient_ids),
            sa.or_(Programme.end_date.is_(None), Programme.end_date >= since),
        )
    ).all()
    revisions: dict[uuid.UUID, list[RevisionWindow]] = defaultdict(list)
    if programmes:
        rows = db.session.execute(
            sa.select(
                ProgrammeRevision.programme_id,
                ProgrammeRevision.number,
                ProgrammeRevision.effective_at,
                ProgrammeRevision.schedule,
                ProgrammeRevision.posture_breaks,
            ).where(ProgrammeRevision.programme_id.in_([p.id for p in programmes]))
        )
        for programme_id, number, effective_at, schedule, posture in rows:
            revisions[programme_id].append(
                RevisionWindow(number, effective_at, schedule or {}, posture or {})
            )
    by_patient: dict[uuid.UUID, list[ProgrammeWindow]] = defaultdict(list)
    for p in programmes:
        by_patient[p.patient_id].append(
            ProgrammeWindow(p.start_date, p.end_date, tuple(revisions[p.id]), p.created_at)
        )
    return by_patient


def _logged_sessions(
    patient_ids: Collection[uuid.UUID], since: date
) -> dict[uuid.UUID, set[tuple[date, str]]]:
    logged: dict[uuid.UUID, set[tuple[date, str]]] = defaultdict(set)
    rows = db.session.execute(
        sa.select(SessionLog.patient_id, SessionLog.local_date, SessionLog.slot).where(
            SessionLog.patient_id.in_(patient_ids), SessionLog.local_date >= since
        )
    )
    for patient_id, local_date, slot in rows:
        logged[patient_id].add((local_date, slot))
    return logged


def _last_posture_breaks(
    patient_ids: Collection[uuid.UUID], since: date
) -> dict[uuid.UUID, datetime]:
    rows = db.session.execute(
        sa.select(PostureBreak.patient_id, sa.func.max(PostureBreak.recorded_at))
        .where(PostureBreak.patient_id.in_(patient_ids), PostureBreak.local_date >= since)
        .group_by(PostureBreak.patient_id)
    )
    return {patient_id: value for patient_id, value in rows if value is not None}


def load_reminder_infos(
    patient_ids: Collection[uuid.UUID], *, since: date, with_programmes: bool = True
) -> dict[uuid.UUID, PatientReminderInfo]:
    """Rule contexts for ``patient_ids``; logs from local date ``since`` on are considered.
    Without programmes (``with_programmes=False``) a context can judge a recorded occurrence,
    not plan the next one."""
    ids = list(set(patient_ids))
    if not ids:
        return {}
    programmes = _programmes(ids, since) if with_programmes else {}
    logged = _logged_sessions(ids, since)
    last_breaks = _last_posture_breaks(ids, since)
    measures_due = unanswered_due_dates(ids, since)
    rows = db.session.execute(
        sa.select(
            Patient.id,
            Patient.clinic_id,
            Patient.timezone,
            Patient.reminders_enabled,
            Patient.quiet_start,
            Patient.quiet_end,
            Patient.work_start,
            Patient.work_end,
            Patient.work_days,
            User.language,
        )
        .join(User, User.id == Patient.id)
        .where(Patient.id.in_(ids))
    )
    infos = {}
    for row in rows:
        ctx = ReminderContext(
            tz=zone(row.timezone, patient_id=row.id),
            programmes=tuple(programmes.get(row.id, ())),
            reminders_enabled=row.reminders_enabled,
            quiet_start=row.quiet_start,
            quiet_end=row.quiet_end,
            work_start=row.work_start,
            work_end=row.work_end,
            work_days=frozenset(int(d) for d in (row.work_days or ())),
            logged_sessions=frozenset(logged.get(row.id, ())),
            last_posture_break_at=last_breaks.get(row.id),
            measures_due=frozenset(measures_due.get(row.id, ())),
        )
        infos[row.id] = PatientReminderInfo(row.id, row.clinic_id, row.language, ctx)
    return infos
