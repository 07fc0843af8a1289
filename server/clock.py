"""The single clock, and calendar days. Services take ``now`` as a parameter that defaults to
:func:`utcnow`.
"""

from datetime import UTC, date, datetime, timedelta


def utcnow() -> datetime:
    """The current instant, timezone-aware in UTC."""
    return datetime.now(UTC)


def days_between(first: date, last: date) -> list[date]:
    """Every date from ``first`` to ``last`` inclusive (empty when ``last`` is before)."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
