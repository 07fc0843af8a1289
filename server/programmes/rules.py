"""Pure programme rules: schedule expansion (DST-safe), ladder moves, dosage, revision in force.

Shared by the plan, adherence and reminders. No database, no Flask: plain values in, plain
values out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

from server.clock import day_bounds_utc, local_to_utc, parse_hhmm

DIRECTIONS = {"progress": 1, "regress": -1}
DOSAGE_KEYS = ("sets", "reps", "hold_seconds", "rest_seconds", "target")
LOGGED_STATUSES = ("completed", "partial", "skipped")


@dataclass(frozen=True)
class Slot:
    """A session slot of a schedule: its name (``morning``) and local wall time."""

    slot: str
    time: time


@dataclass(frozen=True)
class ScheduledSession:
    """A session prescribed on a local date: slot, wall time, and the UTC instant it falls on."""

    slot: str
    wall_time: time
    starts_at: datetime


class LadderEndError(ValueError):
    """A move past the top (``progress``) or bottom (``regress``) of an exercise's ladder."""

    def __init__(self, level: int, ladder_len: int, direction: str):
        end = "top" if direction == "progress" else "bottom"
        super().__init__(f"Already at level {level} of {ladder_len}, the {end} of its ladder.")
        self.level, self.ladder_len, self.direction = level, ladder_len, direction


class RevisionLike(Protocol):
    number: int
    effective_at: datetime


R = TypeVar("R", bound=RevisionLike)


# --- schedules ---------------------------------------------------------------------------


def schedule_slots(schedule: Mapping[str, Any]) -> list[Slot]:
    """The schedule's slots in time order."""
    slots = [Slot(s["slot"], parse_hhmm(s["time"])) for s in schedule.get("slots", [])]
    return sorted(slots, key=lambda s: (s.time, s.slot))


def scheduled_slots(schedule: Mapping[str, Any], day: date) -> list[Slot]:
    """The slots scheduled on local ``day`` (empty when its ISO weekday is not scheduled)."""
    if day.isoweekday() not in schedule.get("days", []):
        return []
    return schedule_slots(schedule)


def sessions_for_date(
    schedule: Mapping[str, Any], day: date, tz: ZoneInfo
) -> list[ScheduledSession]:
    """The sessions a schedule prescribes on local ``day``, each with its UTC instant."""
    return [
        ScheduledSession(s.slot, s.time, local_to_utc(day, s.time, tz))
        for s in scheduled_slots(schedule, day)
    ]


def posture_breaks_prescribed(
    work_start: time, work_end: time, interval_minutes: int, enabled: bool = True
) -> int:
    """floor(working-window minutes / interval): the posture breaks prescribed on a working day."""
    if not enabled or interval_minutes <= 0:
        return 0
    minutes = (work_end.hour * 60 + work_end.minute) - (work_start.hour * 60 + work_start.minute)
    return max(minutes, 0) // interval_minutes


def working_window(
    work_start: time, work_end: time, work_days: Iterable[int], day: date
) -> tuple[time, time] | None:
    """The posture-break window on local ``day``, or None when it is not a working day."""
    return (work_start, work_end) if day.isoweekday() in set(work_days) else None


# --- ladders and dosage ------------------------------------------------------------------


def move_level(ladder_len: int, level: int, direction: str) -> int:
    """One step up (``progress``) or down (``regress``) a ladder of ``ladder_len`` levels.

    Levels are numbered from 1. Raises :class:`LadderEndError` at an end, ``ValueError`` for a
    level outside the ladder or an unknown direction.
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {sorted(DIRECTIONS)}")
    if ladder_len < 1 or not 1 <= level <= ladder_len:
        raise ValueError(f"level {level} is outside a ladder of {ladder_len} levels")
    moved = level + DIRECTIONS[direction]
    if not 1 <= moved <= ladder_len:
        raise LadderEndError(level, ladder_len, direction)
    return moved


def level_moves(
    before: Iterable[Mapping[str, Any]], after: Iterable[Mapping[str, Any]]
) -> tuple[bool, bool]:
    """(raised, changed): whether a revision's ``after`` items move any item that ``before``
    also holds (same ``item_id``) up a level, and whether they move any at all. A revision of
    any kind may change levels, not only a progress or regress."""
    levels = {item["item_id"]: item["level"] for item in before}
    moves = [item["level"] - levels[item["item_id"]] for item in after if item["item_id"] in levels]
    return any(move > 0 for move in moves), any(moves)


def resolve_dosage(
    ladder: Sequence[Mapping[str, Any]], level: int, override: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The dosage of ``level`` on ``ladder`` with any per-item override applied on top."""
    if not 1 <= level <= len(ladder):
        raise ValueError(f"level {level} is outside a ladder of {len(ladder)} levels")
    step = ladder[level - 1]
    dosage = {key: step.get(key) for key in DOSAGE_KEYS}
    dosage.update({k: v for k, v in (override or {}).items() if k in DOSAGE_KEYS})
    return dosage


def items_for_slot(items: Iterable[Mapping[str, Any]], slot: str) -> list[Mapping[str, Any]]:
    """The programme items done in ``slot``: those without ``slots`` go in every session."""
    return [item for item in items if not item.get("slots") or slot in item["slots"]]


# --- revisions ---------------------------------------------------------------------------


def in_force_on(revisions: Iterable[R], day: date, tz: ZoneInfo) -> R | None:
    """The newest revision (by number) effective before the end of local ``day``, else None.

    A revision created later never changes what an earlier date's plan was.
    """
    _, day_end = day_bounds_utc(day, tz)
    candidates = [r for r in revisions if r.effective_at < day_end]
    return max(candidates, key=lambda r: r.number, default=None)


def first_effective_at(start_date: date, tz: ZoneInfo, now: datetime, replaces: bool) -> datetime:
    """When revision 1 takes effect: local midnight of the start date.

    A programme that replaces another never reaches into the past, so it takes effect no
    earlier than ``now``.
    """
    midnight = local_to_utc(start_date, time(0, 0), tz)
    return max(midnight, now) if replaces else midnight


def next_effective_at(start_date: date, tz: ZoneInfo, now: datetime) -> datetime:
    """When a later revision takes effect: ``now``, but never before the programme starts.

    This keeps ``effective_at`` non-decreasing with the revision number.
    """
    return max(now, local_to_utc(start_date, time(0, 0), tz))


def session_status(logged: str | None, day: date, today: date) -> str:
    """A session's status: its logged status, else ``missed`` once its date is past, else
    ``pending``."""
    if logged in LOGGED_STATUSES:
        return logged
    return "missed" if day < today else "pending"
