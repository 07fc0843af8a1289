"""Pure schedule rules: which sessions fall on a local date, and local wall time → UTC (DST-safe).

Shared by the plan, adherence and reminders. No database, no Flask.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Slot:
    """A session slot of a schedule: its name (``morning``) and local wall time."""

    slot: str
    time: time


def parse_hhmm(value: str) -> time:
    """``"08:00"`` → ``time(8, 0)``."""
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def schedule_slots(schedule: dict[str, Any]) -> list[Slot]:
    """The schedule's slots in time order."""
    slots = [Slot(s["slot"], parse_hhmm(s["time"])) for s in schedule.get("slots", [])]
    return sorted(slots, key=lambda s: (s.time, s.slot))


def scheduled_slots(schedule: dict[str, Any], day: date) -> list[Slot]:
    """The slots scheduled on local ``day`` (empty when its ISO weekday is not scheduled)."""
    if day.isoweekday() not in schedule.get("days", []):
        return []
    return schedule_slots(schedule)


def local_to_utc(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of local ``wall`` time on ``day``.

    A wall time that does not exist (spring-forward gap) moves forward by the gap; an ambiguous
    one (fall-back overlap) resolves to its first occurrence, so it fires once.
    """
    naive = datetime.combine(day, wall)
    first = naive.replace(tzinfo=tz, fold=0)
    round_trip = first.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    if round_trip != naive:
        # Nonexistent: fold=1 interprets the time with the pre-transition offset, which lands
        # after the gap by exactly the same distance as the wall time is into it.
        return naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    return first.astimezone(UTC)


def local_date_of(instant: datetime, tz: ZoneInfo) -> date:
    """The local calendar date of a UTC instant."""
    return instant.astimezone(tz).date()


def day_bounds_utc(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """``[start, end)`` of local ``day`` in UTC (23 or 25 hours long on DST days)."""
    start = local_to_utc(day, time(0, 0), tz)
    end = local_to_utc(day + timedelta(days=1), time(0, 0), tz)
    return start, end


def posture_breaks_prescribed(
    work_start: time, work_end: time, interval_minutes: int, enabled: bool = True
) -> int:
    """floor(working-window minutes / interval): the posture breaks prescribed on a working day."""
    if not enabled or interval_minutes <= 0:
        return 0
    minutes = (work_end.hour * 60 + work_end.minute) - (work_start.hour * 60 + work_start.minute)
    return max(minutes, 0) // interval_minutes
