"""The single clock. Services take ``now`` as a parameter that defaults to this."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current instant, timezone-aware in UTC."""
    return datetime.now(UTC)
