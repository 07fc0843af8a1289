"""The single clock, and the time-zone helpers every domain uses.

Services take ``now`` as a parameter that defaults to :func:`utcnow`. Instants are stored in
UTC; a patient's local dates and wall times are converted with ``zoneinfo`` here.
"""

import functools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    """The current instant, timezone-aware in UTC."""
    return datetime.now(UTC)


def days_between(first: date, last: date) -> list[date]:
    """Every date from ``first`` to ``last`` inclusive (empty when ``last`` is before)."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@functools.lru_cache(maxsize=256)
def parse_hhmm(value: str) -> time:
    """``"08:00"`` → ``time(8, 0)``."""
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def format_hhmm(value: time) -> str:
    """``time(8, 0)`` → ``"08:00"``."""
    return f"{value.hour:02d}:{value.minute:02d}"


@functools.lru_cache(maxsize=4096)
def local_to_utc(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of local ``wall`` time on ``day`` (remembered: a tick asks for the same
    few days, slots and zones for thousands of patients).

    A wall time that does not exist (spring-forward gap) moves forward by the gap (01:30 in
    London on the last Sunday of March is 02:30 BST); an ambiguous one (fall-back overlap)
    resolves to its first occurrence, so it fires once.
    """
    # PEP 495: fold=0 reads a wall time with the offset in force *before* the transition. In an
    # overlap that is the first occurrence; in a gap it lands after the gap by exactly as far
    # as the wall time is into it. Both are what we want.
    return datetime.combine(day, wall).replace(tzinfo=tz, fold=0).astimezone(UTC)


def local_date_of(instant: datetime, tz: ZoneInfo) -> date:
    """The local calendar date of a UTC instant."""
    return instant.astimezone(tz).date()


@functools.lru_cache(maxsize=4096)
def day_bounds_utc(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """``[start, end)`` of local ``day`` in UTC (23 or 25 hours long on DST days)."""
    start = local_to_utc(day, time(0, 0), tz)
    end = local_to_utc(day + timedelta(days=1), time(0, 0), tz)
    return start, end
