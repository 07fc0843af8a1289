"""Adherence reports, computed from the logs with a fixed number of grouped queries (the pain
report is in ``pain.py``)."""

from __future__ import annotations

import functools
import json
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from server.access import Actor
from server.accounts.models import Patient
from server.adherence import rules
from server.adherence.rules import DayAdherence, Revision, WorkWindow
from server.audit import services as audit
from server.clock import days_between, local_date_of, utcnow
from server.database.any_of import any_key_of, any_of, id_text
from server.errors import Unprocessable
from server.extensions import db
from server.programmes.models import Programme, ProgrammeRevision
from server.tracking.models import PostureBreak, SessionLog

MAX_RANGE_DAYS = 366
DEFAULT_RANGE_DAYS = 28
WEEK = timedelta(days=6)  # a 7-day window ends this long after it starts


@dataclass(frozen=True)
class AdherenceReport:
    patient_id: uuid.UUID
    start: date
    end: date
    days: list[DayAdherence]
    totals: rules.AdherenceTotals


def resolve_range(
    start: date | None, end: date | None, patient: Patient, now: datetime
) -> tuple[date, date]:
    """Fill in defaults (the last 28 local days up to today) and check the range."""
    end = end or local_date_of(now, ZoneInfo(patient.timezone))
    start = start or end - timedelta(days=DEFAULT_RANGE_DAYS - 1)
    check_range(start, end)
    return start, end


def check_range(start: date, end: date) -> None:
    """422 unless ``start <= end`` and the range spans at most ``MAX_RANGE_DAYS`` days."""
    if start > end:
        raise Unprocessable("from must not be after to.", errors={"from": ["Must be ≤ to."]})
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        message = f"The range may span at most {MAX_RANGE_DAYS} days."
        raise Unprocessable(message, errors={"to": [message]})


def load_revisions(patient_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[Revision]]:
    """Every programme revision of the given patients, in one query."""
    ids = list(patient_ids)
    found: dict[uuid.UUID, list[Revision]] = {patient_id: [] for patient_id in ids}
    for row in db.session.execute(revisions_statement(), {"ids": ids}):
        *fields, schedule, posture_breaks = row[1:]
        found[row[0]].append(Revision(*fields, parsed_json(schedule), parsed_json(posture_breaks)))
    return found


@functools.cache
def revisions_statement(as_keys: bool = False) -> sa.Select[Any]:
    """Every revision of the patients bound as ``:ids``, with its programme's dates; with
    ``as_keys`` (the patient list's 7-day ratio, of sessions only), patients and programmes as
    key texts (``database.any_of.id_text``) and without the posture-break rules, whose JSON
    the database would write out for every patient of the page."""
    patient_id, programme_id = ProgrammeRevision.patient_id, ProgrammeRevision.programme_id
    posture_breaks = () if as_keys else (sa.cast(ProgrammeRevision.posture_breaks, sa.Text),)
    return (
        sa.select(
            id_text(patient_id) if as_keys else patient_id,
            id_text(programme_id) if as_keys else programme_id,
            Programme.start_date,
            Programme.end_date,
            Programme.created_at,
            ProgrammeRevision.number,
            ProgrammeRevision.effective_at,
            sa.cast(ProgrammeRevision.schedule, sa.Text),
            *posture_breaks,
        )
        .join(Programme, Programme.id == ProgrammeRevision.programme_id)
        .where(any_key_of(patient_id) if as_keys else any_of(patient_id))
    )


@functools.lru_cache(maxsize=4096)
def parsed_json(document: str) -> Any:
    """A revision's schedule or posture-break rule from its stored JSON, parsed once per
    distinct text (the programmes of one template share theirs); its readers never change it."""
    return json.loads(document)


def _status_rank() -> sa.ColumnElement[int]:
    return sa.case(
        *((SessionLog.status == status, value) for status, value in rules.STATUS_RANK.items()),
        else_=0,
    )


def _slot_statuses(
    patient_ids: list[uuid.UUID], start: date, end: date
) -> dict[tuple[uuid.UUID, date], dict[str, str]]:
    rank = _status_rank()
    stmt = (
        sa.select(SessionLog.patient_id, SessionLog.local_date, SessionLog.slot, sa.func.max(rank))
        .where(
            SessionLog.patient_id.in_(patient_ids),
            SessionLog.local_date >= start,
            SessionLog.local_date <= end,
        )
        .group_by(SessionLog.patient_id, SessionLog.local_date, SessionLog.slot)
    )
    statuses: dict[tuple[uuid.UUID, date], dict[str, str]] = defaultdict(dict)
    for patient_id, day, slot, best in db.session.execute(stmt):
        if best:
            statuses[(patient_id, day)][slot] = rules.RANK_STATUS[best]
    return statuses


def _posture_breaks(
    patient_ids: list[uuid.UUID], start: date, end: date
) -> dict[tuple[uuid.UUID, date], int]:
    stmt = (
        sa.select(PostureBreak.patient_id, PostureBreak.local_date, sa.func.count())
        .where(
            PostureBreak.patient_id.in_(patient_ids),
            PostureBreak.local_date >= start,
            PostureBreak.local_date <= end,
        )
        .group_by(PostureBreak.patient_id, PostureBreak.local_date)
    )
    return {(row[0], row[1]): int(row[2]) for row in db.session.execute(stmt)}


def _work_window(patient: Patient) -> WorkWindow:
    return WorkWindow(patient.work_start, patient.work_end, frozenset(patient.work_days or []))


def adherence_by_patient(
    patients: list[Patient], ranges: dict[uuid.UUID, tuple[date, date]], now: datetime
) -> dict[uuid.UUID, list[DayAdherence]]:
    """Daily adherence of several patients, each over its own local range: three queries."""
    if not patients:
        return {}
    ids = [p.id for p in patients]
    low = min(start for start, _ in ranges.values())
    high = max(end for _, end in ranges.values())
    revisions = load_revisions(ids)
    statuses = _slot_statuses(ids, low, high)
    breaks = _posture_breaks(ids, low, high)
    result: dict[uuid.UUID, list[DayAdherence]] = {}
    for patient in patients:
        tz = ZoneInfo(patient.timezone)
        today = local_date_of(now, tz)
        work = _work_window(patient)
        days = days_between(*ranges[patient.id])
        in_force = rules.revisions_in_force(revisions[patient.id], days, tz)
        result[patient.id] = [
            rules.day_adherence(
                day=day,
                revision=revision,
                slot_statuses=statuses.get((patient.id, day), {}),
                posture_breaks_logged=breaks.get((patient.id, day), 0),
                work=work,
                today=today,
            )
            for day, revision in zip(days, in_force, strict=True)
        ]
    return result


def adherence_report(
    *,
    patient: Patient,
    start: date | None,
    end: date | None,
    actor: Actor | None,
    now: datetime | None = None,
) -> AdherenceReport:
    """Per-day adherence and totals for one patient over ``[start, end]`` (audited read)."""
    now = now or utcnow()
    start, end = resolve_range(start, end, patient, now)
    days = adherence_by_patient([patient], {patient.id: (start, end)}, now)[patient.id]
    actor = actor or audit.SystemActor(patient.clinic_id)  # None: the system (demo checks)
    audit.read("adherence.read", actor=actor, patient_id=patient.id, target="patient", now=now)
    return AdherenceReport(patient.id, start, end, days, rules.totals_of(days))
