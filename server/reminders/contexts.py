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
from server.programmes.models import Programme, ProgrammeRevision
from server.reminders.rules import ReminderContext, RevisionWindow
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


def _programmes(patient_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, tuple[uuid.UUID, date]]:
    """Each patient's newest programme: ``{patient_id: (programme_id, start_date)}``."""
    rows = db.session.execute(
        sa.select(Programme.patient_id, Programme.id, Programme.start_date)
        .where(Programme.patient_id.in_(patient_ids))
        .order_by(Programme.created_at, Programme.id)
    )
    return {patient_id: (programme_id, start) for patient_id, programme_id, start in rows}


def _revisions(programme_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, list[RevisionWindow]]:
    by_programme: dict[uuid.UUID, list[RevisionWindow]] = defaultdict(list)
    if not programme_ids:
        return by_programme
    rows = db.session.execute(
        sa.select(
            ProgrammeRevision.programme_id,
            ProgrammeRevision.effective_at,
            ProgrammeRevision.schedule,
            ProgrammeRevision.posture_breaks,
        )
        .where(ProgrammeRevision.programme_id.in_(programme_ids))
        .order_by(ProgrammeRevision.number)
    )
    for programme_id, effective_at, schedule, posture in rows:
        by_programme[programme_id].append(RevisionWindow(effective_at, schedule, posture or {}))
    return by_programme


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
    patient_ids: Collection[uuid.UUID], *, since: date
) -> dict[uuid.UUID, PatientReminderInfo]:
    """Rule contexts for ``patient_ids``; logs from local date ``since`` on are considered."""
    ids = list(set(patient_ids))
    if not ids:
        return {}
    programmes = _programmes(ids)
    revisions = _revisions([programme_id for programme_id, _ in programmes.values()])
    logged = _logged_sessions(ids, since)
    last_breaks = _last_posture_breaks(ids, since)
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
        programme = programmes.get(row.id)
        ctx = ReminderContext(
            tz=zone(row.timezone, patient_id=row.id),
            programme_start=programme[1] if programme else None,
            revisions=tuple(revisions.get(programme[0], ())) if programme else (),
            reminders_enabled=row.reminders_enabled,
            quiet_start=row.quiet_start,
            quiet_end=row.quiet_end,
            work_start=row.work_start,
            work_end=row.work_end,
            work_days=frozenset(int(d) for d in (row.work_days or ())),
            logged_sessions=frozenset(logged.get(row.id, ())),
            last_posture_break_at=last_breaks.get(row.id),
        )
        infos[row.id] = PatientReminderInfo(row.id, row.clinic_id, row.language, ctx)
    return infos
