"""Adherence reports, computed from the logs with a fixed number of grouped queries (the pain
report is in ``pain.py``)."""

from __future__ import annotations

import functools
import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
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
from server.database.any_of import any_key_of, any_of, id_text, key_of
from server.database.dates import day_offset
from server.errors import Unprocessable
from server.extensions import db
from server.programmes.models import Programme, ProgrammeRevision
from server.tracking.models import PostureBreak, SessionDay, SessionLog

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


def revisions_by_key(keys: list[str]) -> dict[str, list[Revision]]:
    """Every programme revision of the patients with these key texts (``id_text``), in one
    query; a revision's ``programme_id`` is its key text too."""
    found: dict[str, list[Revision]] = {key: [] for key in keys}
    rows = db.session.connection().execute(_revisions_by_key_statement(), {"ids": keys}).all()
    for row in rows:
        *fields, schedule, posture_breaks = row[1:]
        found[row[0]].append(Revision(*fields, _parsed(schedule), _parsed(posture_breaks)))
    return found


@functools.cache
def _revisions_by_key_statement() -> sa.Select[Any]:
    return (
        sa.select(
            id_text(ProgrammeRevision.patient_id),
            id_text(ProgrammeRevision.programme_id),
            Programme.start_date,
            Programme.end_date,
            Programme.created_at,
            ProgrammeRevision.number,
            ProgrammeRevision.effective_at,
            sa.cast(ProgrammeRevision.schedule, sa.Text),
            sa.cast(ProgrammeRevision.posture_breaks, sa.Text),
        )
        .join(Programme, Programme.id == ProgrammeRevision.programme_id)
        .where(any_key_of(ProgrammeRevision.patient_id))
    )


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


def _packed_ranks(keys: list[str], first: date, last: date) -> dict[str, dict[str, int]]:
    """Each patient's (by key text) best status ranks per logged slot from ``first`` to ``last``,
    from the maintained day summary: one row per patient and slot, its ranks packed two bits a
    day from ``first`` (``rules.packed_window_ratio``), so a page reads few rows and values.
    """
    params = {"ids": keys, "first": first, "last": last}
    ranks: dict[str, dict[str, int]] = defaultdict(dict)
    for key, slot, packed in db.session.connection().execute(_packed_ranks_stmt(), params).all():
        ranks[key][slot] = packed
    return ranks


@functools.cache
def _packed_ranks_stmt() -> sa.Select[Any]:
    # Built once, its parameters left open (building and cache-keying it anew costs more).
    first = sa.bindparam("first", type_=sa.Date())
    shift = 2 * day_offset(SessionDay.local_date, first)
    return (
        sa.select(
            id_text(SessionDay.patient_id),
            SessionDay.slot,
            sa.func.sum(SessionDay.best_rank.op("<<")(shift), type_=sa.Integer()),
        )
        .where(
            any_key_of(SessionDay.patient_id),
            SessionDay.local_date >= first,
            SessionDay.local_date <= sa.bindparam("last", type_=sa.Date()),
        )
        .group_by(SessionDay.patient_id, SessionDay.slot)
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
    :func:`adherence_by_patient`, without building them (:func:`adherence_7d_by_key`).
    """
    now = now or utcnow()
    given = list(patients)
    loaded = [p for p in given if isinstance(p, Patient)]
    ids = [p for p in given if not isinstance(p, Patient)]
    if ids:
        loaded += db.session.scalars(sa.select(Patient).where(Patient.id.in_(ids)))
    rows = list({p.id: p for p in loaded}.values())
    ratios: dict[uuid.UUID, float | None] = dict.fromkeys(ids)
    dialect = db.session.get_bind().dialect
    keys = {key_of(p.id, dialect): p.id for p in rows}
    subjects = [(key, p.timezone) for key, p in zip(keys, rows, strict=True)]
    by_key = adherence_7d_by_key(subjects, now)
    ratios.update({keys[key]: ratio for key, ratio in by_key.items()})
    return ratios


def adherence_7d_by_key(
    patients: Sequence[tuple[str, str]], now: datetime
) -> dict[str, float | None]:
    """:func:`adherence_7d_for_patients` of patients given as (key text, time zone): two
    queries, the logs read from their maintained day summary (``SessionDay``)."""
    if not patients:
        return {}
    # A page's patients share a few time zones: each zone's today and week worked out once.
    zones = {tz: local_date_of(now, ZoneInfo(tz)) for tz in {tz for _, tz in patients}}
    weeks = {today: days_between(today - WEEK, today) for today in zones.values()}
    keys = [key for key, _ in patients]
    first = min(zones.values()) - WEEK
    revisions = revisions_by_key(keys)
    ranks = _packed_ranks(keys, first, max(zones.values()))
    ratios: dict[str, float | None] = {}
    # What is prescribed depends on the schedules in force and the day: worked out once for
    # the patients who share them (the revisions of one template share its parsed schedule).
    prescribed: dict[tuple[Any, ...], list[rules.Prescribed]] = {}
    for key, timezone in patients:
        today = zones[timezone]
        week = weeks[today]
        in_force = rules.revisions_in_force(revisions[key], week, ZoneInfo(timezone))
        shared = (today, *(None if r is None else id(r.schedule) for r in in_force))
        if shared not in prescribed:
            prescribed[shared] = rules.prescribed_in_window(
                days=week, revisions=in_force, first=first, today=today
            )
        ratios[key] = rules.packed_ratio(prescribed[shared], ranks.get(key, {}))
    return ratios
