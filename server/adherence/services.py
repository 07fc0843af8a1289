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
from server.database.any_of import any_of
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
    for row in db.session.execute(_revisions_statement(), {"ids": ids}):
        *fields, schedule, posture_breaks = row[1:]
        found[row[0]].append(Revision(*fields, _parsed(schedule), _parsed(posture_breaks)))
    return found


@functools.cache
def _revisions_statement() -> sa.Select[Any]:
    return (
        sa.select(
            ProgrammeRevision.patient_id,
            ProgrammeRevision.programme_id,
            Programme.start_date,
            Programme.end_date,
            Programme.created_at,
            ProgrammeRevision.number,
            ProgrammeRevision.effective_at,
            sa.cast(ProgrammeRevision.schedule, sa.Text),
            sa.cast(ProgrammeRevision.posture_breaks, sa.Text),
        )
        .join(Programme, Programme.id == ProgrammeRevision.programme_id)
        .where(any_of(ProgrammeRevision.patient_id))
    )


@functools.lru_cache(maxsize=4096)
def _parsed(document: str) -> Any:
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


def _slot_statuses_by_day(
    patient_ids: list[uuid.UUID], days: list[date]
) -> dict[uuid.UUID, dict[date, dict[str, str]]]:
    """Each patient's best status per logged slot on each of ``days`` (a short run): one row per
    patient and slot, with a column per day, so a page of patients reads few rows.
    """
    parameters = {"ids": patient_ids, **{f"day_{n}": day for n, day in enumerate(days)}}
    rows = db.session.connection().execute(_slot_statuses_by_day_stmt(len(days)), parameters)
    statuses: dict[uuid.UUID, dict[date, dict[str, str]]] = defaultdict(dict)
    for patient_id, slot, *ranks in rows:
        by_day = statuses[patient_id]
        for day, best in zip(days, ranks, strict=True):
            if best:
                by_day.setdefault(day, {})[slot] = rules.RANK_STATUS[best]
    return statuses


@functools.cache
def _slot_statuses_by_day_stmt(day_count: int) -> sa.Select[Any]:
    # Built once per number of days, its parameters left open: building and cache-keying it anew
    # took over a millisecond per call.
    days = [sa.bindparam(f"day_{n}", type_=sa.Date()) for n in range(day_count)]
    rank = _status_rank()
    return (
        sa.select(
            SessionLog.patient_id,
            SessionLog.slot,
            *(sa.func.max(sa.case((SessionLog.local_date == day, rank))) for day in days),
        )
        .where(
            any_of(SessionLog.patient_id),
            SessionLog.local_date >= days[0],
            SessionLog.local_date <= days[-1],
        )
        .group_by(SessionLog.patient_id, SessionLog.slot)
    )


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


def adherence_7d_for_patients(
    patients: Iterable[uuid.UUID | Patient], now: datetime | None = None
) -> dict[uuid.UUID, float | None]:
    """Session adherence over each patient's last 7 local days (today included): set-based.

    Takes patient ids or already loaded ``Patient`` rows (which saves one query). Sessions of
    today that are not logged yet are pending and do not count against the ratio. None when
    nothing was due (no programme in force). The same ratio as ``totals_of`` the daily rows of
    :func:`adherence_by_patient`, without building them: two queries besides the patients.
    """
    now = now or utcnow()
    given = list(patients)
    loaded = [p for p in given if isinstance(p, Patient)]
    ids = [p for p in given if not isinstance(p, Patient)]
    if ids:
        loaded += db.session.scalars(sa.select(Patient).where(Patient.id.in_(ids)))
    rows = list({p.id: p for p in loaded}.values())
    ratios: dict[uuid.UUID, float | None] = dict.fromkeys(ids)
    if not rows:
        return ratios
    # A page's patients share a few time zones: each zone's today and week worked out once.
    zones = {tz: local_date_of(now, ZoneInfo(tz)) for tz in {p.timezone for p in rows}}
    weeks = {today: days_between(today - WEEK, today) for today in zones.values()}
    todays = {p.id: zones[p.timezone] for p in rows}
    revisions = load_revisions(list(todays))
    statuses = _slot_statuses_by_day(
        list(todays), days_between(min(todays.values()) - WEEK, max(todays.values()))
    )
    for patient in rows:
        today = todays[patient.id]
        week = weeks[today]
        tz = ZoneInfo(patient.timezone)
        ratios[patient.id] = rules.window_ratio(
            days=week,
            revisions=rules.revisions_in_force(revisions[patient.id], week, tz),
            slot_statuses=statuses.get(patient.id, {}),
            today=today,
        )
    return ratios
