"""Pure adherence arithmetic: which revision is in force, what was prescribed, what was done.

No database, no Flask. Slots come from ``server.programmes.rules``; everything here works on
patient-local dates and plain values.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from server.clock import day_bounds_utc
from server.programmes.rules import (
    in_force_on,
    posture_breaks_prescribed,
    schedule_slots,
    scheduled_slots,
)

# Several logs for one slot on one day: the best status counts.
STATUS_RANK = {"skipped": 1, "partial": 2, "completed": 3}
RANK_STATUS = {rank: status for status, rank in STATUS_RANK.items()}
CREDIT = {"completed": 1.0, "partial": 0.5, "skipped": 0.0}
ONE_DAY = timedelta(days=1)


class Revision(NamedTuple):
    """A programme revision reduced to what adherence needs, with its programme's span (a
    tuple: a page of patients builds hundreds). ``programme_id`` is only compared: the id, or
    its key text where the patient list reads ids as text, which reads no ``posture_breaks``
    (None) either."""

    programme_id: uuid.UUID | str
    start_date: date
    end_date: date | None
    programme_created_at: datetime
    number: int
    effective_at: datetime
    schedule: dict[str, Any]
    posture_breaks: dict[str, Any] | None


@dataclass(frozen=True)
class WorkWindow:
    """The patient's working hours and ISO working weekdays (posture-break window)."""

    start: time
    end: time
    days: frozenset[int]


@dataclass(frozen=True)
class DayAdherence:
    """One local day: sessions prescribed and how each ended; posture breaks; the ratio.

    ``completed + partial + skipped + missing + pending == sessions_prescribed``. A prescribed
    slot without a log is ``missing`` once its day is over and ``pending`` before that; pending
    slots are left out of ``ratio`` (None when nothing was due).
    """

    day: date
    revision_number: int | None
    sessions_prescribed: int
    completed: int
    partial: int
    skipped: int
    missing: int
    pending: int
    posture_breaks_prescribed: int
    posture_breaks_logged: int
    ratio: float | None


class SlotCounts(NamedTuple):
    """How a day's prescribed slots ended: each slot counts once, by its best logged status."""

    completed: int
    partial: int
    skipped: int
    unlogged: int


@dataclass(frozen=True)
class AdherenceTotals:
    """Sums over a range of ``DayAdherence`` and the overall ratio."""

    sessions_prescribed: int
    completed: int
    partial: int
    skipped: int
    missing: int
    pending: int
    posture_breaks_prescribed: int
    posture_breaks_logged: int
    ratio: float | None


def _programme_revisions(revisions: Sequence[Revision], day: date) -> list[Revision]:
    """The revisions of the programme that applies on ``day``: of those started and not ended,
    the newest (by start date, then creation); empty when none applies.
    """
    applying = [
        r for r in revisions if r.start_date <= day and (r.end_date is None or day <= r.end_date)
    ]
    if not applying:
        return []
    newest = max(applying, key=lambda r: (r.start_date, r.programme_created_at))
    return [r for r in applying if r.programme_id == newest.programme_id]


def revision_in_force(revisions: Sequence[Revision], day: date, tz: ZoneInfo) -> Revision | None:
    """The revision that prescribed local ``day``: of the programme applying that day (started,
    not ended; the newest if several), the newest revision effective before the day's end.
    """
    programme = _programme_revisions(revisions, day)
    return in_force_on(programme, day, tz) if programme else None


def revisions_in_force(
    revisions: Sequence[Revision], days: Sequence[date], tz: ZoneInfo
) -> list[Revision | None]:
    """:func:`revision_in_force` on each of the consecutive ``days`` (ascending), with far fewer
    time-zone steps.
    """
    if len(revisions) == 1:  # most patients: one programme, never revised
        return _one_in_force(revisions[0], days, tz)
    # The programme that applies can only change on a day one starts or the day after one ends.
    starts = {r.start_date for r in revisions}
    ends = {r.end_date for r in revisions}
    result: list[Revision | None] = []
    run: list[date] = []
    for day in days:
        if run and (day in starts or day - ONE_DAY in ends):
            result += _in_force_over(_programme_revisions(revisions, run[0]), run, tz)
            run = []
        run.append(day)
    if run:
        result += _in_force_over(_programme_revisions(revisions, run[0]), run, tz)
    return result


def _one_in_force(revision: Revision, days: Sequence[date], tz: ZoneInfo) -> list[Revision | None]:
    """:func:`revisions_in_force` of a patient's only revision: in force on each day its
    programme spans that ends after it takes effect (no other to prefer)."""
    start, end, effective = revision.start_date, revision.end_date, revision.effective_at
    return [
        revision if start <= day and (end is None or day <= end) and effective < day_end else None
        for day, day_end in zip(days, _day_ends(tuple(days), tz), strict=True)
    ]


@functools.lru_cache(maxsize=1024)
def _day_ends(days: tuple[date, ...], tz: ZoneInfo) -> tuple[datetime, ...]:
    """Where each local day ends in UTC, once per window and zone (a page's patients share a
    few), not looked up day by day for each patient."""
    return tuple(day_bounds_utc(day, tz)[1] for day in days)


def _in_force_over(
    programme: list[Revision], days: list[date], tz: ZoneInfo
) -> list[Revision | None]:
    # Each later day ends later, so more of the programme's revisions are effective by then and
    # the one in force can only move to a higher number: once the newest, or the same at both
    # ends of the run, it is the same on every day between.
    if not programme:
        return [None] * len(days)
    first = in_force_on(programme, days[0], tz)
    newest = max(programme, key=lambda r: r.number)
    if first is newest or first is in_force_on(programme, days[-1], tz):
        return [first] * len(days)
    return [in_force_on(programme, day, tz) for day in days]


def prescribed_slots(revision: Revision | None, day: date) -> list[str]:
    """The slots ``revision`` schedules on local ``day`` (none without a revision)."""
    return [s.slot for s in scheduled_slots(revision.schedule, day)] if revision else []


def slot_counts(slots: Iterable[str], slot_statuses: Mapping[str, str]) -> SlotCounts:
    """How the prescribed ``slots`` ended, given each logged slot's best status."""
    completed = partial = skipped = unlogged = 0
    for slot in slots:
        status = slot_statuses.get(slot)
        if status == "completed":
            completed += 1
        elif status == "partial":
            partial += 1
        elif status == "skipped":
            skipped += 1
        else:
            unlogged += 1
    return SlotCounts(completed, partial, skipped, unlogged)


def session_ratio(completed: int, partial: int, due: int) -> float | None:
    """(completed + ½ partial) / due sessions; None when nothing was due."""
    if due <= 0:
        return None
    return (completed * CREDIT["completed"] + partial * CREDIT["partial"]) / due


def day_adherence(
    *,
    day: date,
    revision: Revision | None,
    slot_statuses: Mapping[str, str],
    posture_breaks_logged: int,
    work: WorkWindow,
    today: date,
) -> DayAdherence:
    """Prescribed versus logged on one local day; logs for unscheduled slots do not count."""
    slots = prescribed_slots(revision, day)
    counts = slot_counts(slots, slot_statuses)
    over = day < today
    missing, pending = (counts.unlogged, 0) if over else (0, counts.unlogged)
    rule = revision.posture_breaks if revision else {}
    breaks = 0
    if revision and day.isoweekday() in work.days:
        breaks = posture_breaks_prescribed(
            work.start,
            work.end,
            int(rule.get("interval_minutes") or 0),
            bool(rule.get("enabled", False)),
        )
    return DayAdherence(
        day=day,
        revision_number=revision.number if revision else None,
        sessions_prescribed=len(slots),
        completed=counts.completed,
        partial=counts.partial,
        skipped=counts.skipped,
        missing=missing,
        pending=pending,
        posture_breaks_prescribed=breaks,
        posture_breaks_logged=posture_breaks_logged,
        ratio=session_ratio(counts.completed, counts.partial, len(slots) - pending),
    )


def window_ratio(
    *,
    days: Sequence[date],
    revisions: Sequence[Revision | None],
    slot_statuses: Mapping[date, Mapping[str, str]],
    today: date,
) -> float | None:
    """The session ratio over ``days`` (``revisions[i]`` in force on ``days[i]``): the same as
    ``totals_of`` their ``day_adherence`` rows, without building them.
    """
    completed = partial = due = 0
    # Each revision's schedule read once for the window (usually one revision is in force on
    # every day of it): its weekdays and its slots, as prescribed_slots reads them.
    schedules: dict[int, tuple[Sequence[int], list[str]]] = {}
    for day, revision in zip(days, revisions, strict=True):
        slots: list[str] = []
        if revision is not None:
            if id(revision) not in schedules:
                schedule = revision.schedule
                names = [s.slot for s in schedule_slots(schedule)]
                schedules[id(revision)] = (schedule.get("days", []), names)
            weekdays, names = schedules[id(revision)]
            slots = names if day.isoweekday() in weekdays else []
        counts = slot_counts(slots, slot_statuses.get(day, {}))
        completed += counts.completed
        partial += counts.partial
        due += counts.completed + counts.partial + counts.skipped
        if day < today:  # an unlogged slot is missing once its day is over, else pending
            due += counts.unlogged
    return session_ratio(completed, partial, due)


def totals_of(days: Iterable[DayAdherence]) -> AdherenceTotals:
    """Sum a range of days; the ratio is over all due sessions, not a mean of daily ratios."""
    rows = list(days)
    fields = (
        "sessions_prescribed",
        "completed",
        "partial",
        "skipped",
        "missing",
        "pending",
        "posture_breaks_prescribed",
        "posture_breaks_logged",
    )
    sums = {name: sum(getattr(row, name) for row in rows) for name in fields}
    due = sums["sessions_prescribed"] - sums["pending"]
    return AdherenceTotals(**sums, ratio=session_ratio(sums["completed"], sums["partial"], due))
