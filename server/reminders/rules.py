"""Pure reminder rules: occurrence expansion (DST-safe), quiet hours, catch-up, snooze (a push
judged again at send time, and its backoff: ``send_rules``).

No database, no Flask. Every instant is an aware UTC ``datetime``; local wall times are
interpreted in the patient's zone through ``server.clock.local_to_utc``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from server.clock import local_date_of, local_to_utc
from server.programmes.rules import in_force_on, scheduled_slots

SESSION = "session"
POSTURE_BREAK = "posture_break"
MEASURE = "measure"  # an outcome questionnaire fell due (one reminder, on its due date)
KINDS = (SESSION, POSTURE_BREAK, MEASURE)
# An occurrence older than this when the tick reaches it is recorded ``missed``, never sent.
GRACE = {
    SESSION: timedelta(minutes=30),
    POSTURE_BREAK: timedelta(minutes=5),
    MEASURE: timedelta(hours=2),
}
MEASURE_LOCAL_TIME = time(10, 0)  # when a due questionnaire is announced, local
# After an outage only this much of the past is walked (and recorded missed); older is skipped.
CATCH_UP_WINDOW = timedelta(hours=24)
# How far ahead the next occurrence is looked for before a stream goes idle (next_due_at null).
HORIZON_DAYS = 31
SNOOZE_MINUTES = (10, 20, 30)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DIGEST_LOCAL_TIME = time(8, 0)
DayExpansion = Callable[[date], list["Occurrence"]]  # a local date's occurrences of one kind


@dataclass(frozen=True)
class RevisionWindow:
    """What a programme revision prescribes, from the instant it takes effect."""

    number: int
    effective_at: datetime
    schedule: Mapping[str, Any]
    posture_breaks: Mapping[str, Any]


@dataclass(frozen=True)
class ProgrammeWindow:
    """A programme's local dates (``end_date`` null while active) and its revisions."""

    start_date: date
    end_date: date | None
    revisions: Sequence[RevisionWindow]
    created_at: datetime | None = None

    def applies_on(self, day: date) -> bool:
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)


@dataclass(frozen=True)
class ReminderContext:
    """Everything the rules need about one patient, as plain values."""

    tz: ZoneInfo
    programmes: Sequence[ProgrammeWindow] = ()
    reminders_enabled: bool = True
    quiet_start: time = time(22, 0)
    quiet_end: time = time(7, 0)
    work_start: time = time(9, 0)
    work_end: time = time(18, 0)
    work_days: frozenset[int] = frozenset({1, 2, 3, 4, 5})
    logged_sessions: frozenset[tuple[date, str]] = field(default_factory=frozenset)
    last_posture_break_at: datetime | None = None
    measures_due: frozenset[date] = frozenset()  # local due dates of unanswered questionnaires


@dataclass(frozen=True)
class Occurrence:
    """One instant a reminder of ``kind`` falls due; ``slot`` is set for sessions."""

    kind: str
    at: datetime
    local_date: date
    slot: str | None = None


def revision_in_force(ctx: ReminderContext, day: date) -> RevisionWindow | None:
    """The revision prescribing local ``day``: of the newest programme applying that day, the
    newest revision effective before the day ends (as the plan and adherence judge it).
    """
    applying = [p for p in ctx.programmes if p.applies_on(day)]
    if not applying:
        return None
    programme = max(applying, key=lambda p: (p.start_date, p.created_at or EPOCH))
    return in_force_on(programme.revisions, day, ctx.tz)


def first_programme_day(ctx: ReminderContext) -> date | None:
    """The first local date any programme applies, or None without a programme."""
    return min((p.start_date for p in ctx.programmes), default=None)


def session_occurrences_on(ctx: ReminderContext, day: date) -> list[Occurrence]:
    """Session reminders of local ``day``: one per scheduled slot not yet logged, in time order.

    Two slots landing on one instant (e.g. a nonexistent time moved onto the next) fire once.
    """
    revision = revision_in_force(ctx, day)
    if revision is None:
        return []
    by_instant: dict[datetime, Occurrence] = {}
    for occurrence in _scheduled_occurrences(revision.schedule, day, ctx.tz):
        if (day, occurrence.slot) in ctx.logged_sessions:
            continue
        by_instant.setdefault(occurrence.at, occurrence)
    return [by_instant[at] for at in sorted(by_instant)]


# (id(schedule), day, zone) -> (schedule, its session occurrences that day, in slot order)
_SCHEDULED: dict[tuple[int, date, ZoneInfo], tuple[Mapping[str, Any], tuple[Occurrence, ...]]]
_SCHEDULED = {}


def _scheduled_occurrences(
    schedule: Mapping[str, Any], day: date, tz: ZoneInfo
) -> tuple[Occurrence, ...]:
    """A schedule's session occurrences on local ``day`` in ``tz``, in slot order, made once
    per schedule document, day and zone: patients given one template share the document (see
    ``contexts``), and a tick plans the same day for thousands of them. Keyed by the
    document's identity, which the entry keeps alive and checks (occurrences are immutable)."""
    key = (id(schedule), day, tz)
    cached = _SCHEDULED.get(key)
    if cached is not None and cached[0] is schedule:
        return cached[1]
    occurrences = tuple(
        Occurrence(SESSION, local_to_utc(day, slot.time, tz), day, slot.slot)
        for slot in scheduled_slots(schedule, day)
    )
    if len(_SCHEDULED) >= 4096:
        _SCHEDULED.clear()
    _SCHEDULED[key] = (schedule, occurrences)
    return occurrences


def working_window_utc(ctx: ReminderContext, day: date) -> tuple[datetime, datetime] | None:
    """``[start, end]`` of local ``day``'s working window in UTC, or None on a day off."""
    if day.isoweekday() not in ctx.work_days or ctx.work_end <= ctx.work_start:
        return None
    return local_to_utc(day, ctx.work_start, ctx.tz), local_to_utc(day, ctx.work_end, ctx.tz)


def posture_occurrences_on(ctx: ReminderContext, day: date) -> list[Occurrence]:
    """Posture breaks of local ``day``: every interval inside the working window.

    The countdown starts at the window's start, or at the last logged break inside the window.
    """
    revision = revision_in_force(ctx, day)
    rule = revision.posture_breaks if revision else {}
    interval = int(rule.get("interval_minutes") or 0)
    window = working_window_utc(ctx, day)
    if not rule.get("enabled") or interval <= 0 or window is None:
        return []
    start, end = window
    anchor = start
    last = ctx.last_posture_break_at
    if last is not None and start <= last < end:
        anchor = last
    step = timedelta(minutes=interval)
    occurrences = []
    at = anchor + step
    while at <= end:
        occurrences.append(Occurrence(POSTURE_BREAK, at, day))
        at += step
    return occurrences


def occurrences_on(kind: str, ctx: ReminderContext, day: date) -> list[Occurrence]:
    """The occurrences of ``kind`` on local ``day``."""
    if kind == SESSION:
        return session_occurrences_on(ctx, day)
    if kind == POSTURE_BREAK:
        return posture_occurrences_on(ctx, day)
    if kind == MEASURE:
        due = day in ctx.measures_due
        return (
            [Occurrence(MEASURE, local_to_utc(day, MEASURE_LOCAL_TIME, ctx.tz), day)] if due else []
        )
    raise ValueError(f"unknown reminder kind {kind!r}")


def next_occurrence(
    kind: str, ctx: ReminderContext, after: datetime, days: DayExpansion | None = None
) -> Occurrence | None:
    """The first occurrence of ``kind`` strictly after ``after``, or None (disabled, none ahead);
    ``days`` gives a local date's occurrences (default :func:`occurrences_on`)."""
    first_programme = first_programme_day(ctx)
    if not ctx.reminders_enabled or first_programme is None:
        return None
    days = days or functools.partial(occurrences_on, kind, ctx)
    # The previous local day too: its occurrences cannot be later, but this keeps us honest
    # about zones whose transitions happen at midnight.
    first_day = max(local_date_of(after, ctx.tz) - timedelta(days=1), first_programme)
    for offset in range(HORIZON_DAYS + 2):
        for occurrence in days(first_day + timedelta(days=offset)):
            if occurrence.at > after:
                return occurrence
    return None


def occurrences_between(
    kind: str, ctx: ReminderContext, after: datetime, until: datetime
) -> Iterator[Occurrence]:
    """Occurrences of ``kind`` in ``(after, until]``, in order."""
    yield from walk(kind, ctx, after, until)[0]


def walk(
    kind: str, ctx: ReminderContext, after: datetime, until: datetime
) -> tuple[list[Occurrence], Occurrence | None]:
    """Occurrences in ``(after, until]`` and the first one after ``until`` (None if none).
    Each step looks from the day before the last occurrence on, so each day is expanded once."""
    days: dict[date, list[Occurrence]] = {}

    def expanded(day: date) -> list[Occurrence]:
        if (occurrences := days.get(day)) is None:
            occurrences = days[day] = occurrences_on(kind, ctx, day)
        return occurrences

    found = []
    occurrence = next_occurrence(kind, ctx, after, expanded)
    while occurrence is not None and occurrence.at <= until:
        found.append(occurrence)
        occurrence = next_occurrence(kind, ctx, occurrence.at, expanded)
    return found, occurrence


def in_quiet_hours(wall: time, start: time, end: time) -> bool:
    """Whether local ``wall`` time is inside ``[start, end)``; the window may wrap midnight."""
    if start == end:
        return False
    if start < end:
        return start <= wall < end
    return wall >= start or wall < end


def is_quiet(occurrence: Occurrence, ctx: ReminderContext) -> bool:
    """Whether the occurrence falls in the patient's quiet hours (local time)."""
    wall = occurrence.at.astimezone(ctx.tz).time()
    return in_quiet_hours(wall, ctx.quiet_start, ctx.quiet_end)


def is_stale(kind: str, at: datetime, now: datetime) -> bool:
    """Whether an occurrence at ``at`` is past its grace at ``now`` (catch-up: record missed)."""
    return now - at > GRACE[kind]


def occurrence_status(occurrence: Occurrence, ctx: ReminderContext, now: datetime) -> str:
    """``suppressed`` in quiet hours, ``missed`` past its grace, otherwise ``due`` (send it)."""
    if is_quiet(occurrence, ctx):
        return "suppressed"
    if is_stale(occurrence.kind, occurrence.at, now):
        return "missed"
    return "due"


def catch_up_start(next_due_at: datetime, now: datetime) -> datetime:
    """The instant after which a claimed stream's occurrences are walked (bounded look-back)."""
    return max(next_due_at - timedelta(microseconds=1), now - CATCH_UP_WINDOW)


def refresh_after(last_occurrence_at: datetime | None, kind: str, now: datetime) -> datetime:
    """Where a recomputed stream resumes: after its last occurrence, keeping one in grace."""
    floor = now - GRACE[kind]
    return floor if last_occurrence_at is None else max(last_occurrence_at, floor)


def snooze_until(now: datetime, minutes: int) -> datetime:
    """When a snoozed occurrence fires again; ``minutes`` is 10, 20 or 30."""
    if minutes not in SNOOZE_MINUTES:
        raise ValueError(f"snooze minutes must be one of {SNOOZE_MINUTES}")
    return now + timedelta(minutes=minutes)


def digest_local_date(now: datetime, tz: ZoneInfo, at: time = DIGEST_LOCAL_TIME) -> date | None:
    """The local date whose digest is due at ``now`` (the clinic's digest time, 08:00 by
    default, has passed), else None."""
    local = now.astimezone(tz)
    return local.date() if local.time() >= at else None
