"""Instants read from SQLite's stored text are what parsing the text and making it UTC gives;
instants are shown with their offset and always microseconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.dialects import sqlite

from server.database.types import UTCDateTime
from server.serialization import Instant

SQLITE = sqlite.dialect()


def read(text: object) -> datetime | None:
    column = UTCDateTime(timezone=True).dialect_impl(SQLITE)
    return column.result_processor(SQLITE, None)(text)


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-07 18:30:05.123456",
        "2026-12-07 18:30:05",
        "2026-12-07T18:30:05.000001",
        "2026-12-07 18:30",
        "2026-12-07 20:30:05.5+02:00",
        "2026-12-07 13:30:05-05:00",
        "2026-12-07 18:30:05Z",
    ],
)
def test_a_stored_text_is_read_as_its_utc_instant(text: str) -> None:
    parsed = datetime.fromisoformat(text)
    wanted = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)

    instant = read(text)

    assert instant == wanted
    assert instant.tzinfo is UTC
    assert (instant.utcoffset(), instant.isoformat()) == (timedelta(0), wanted.isoformat())


def test_none_stays_none_and_what_sqlite_cannot_parse_fails_as_before() -> None:
    assert read(None) is None
    with pytest.raises(ValueError, match="Invalid isoformat"):
        read("not an instant")


@pytest.mark.parametrize(
    "instant",
    [
        datetime(2026, 12, 7, 18, 30, 5, 123456, tzinfo=UTC),
        datetime(2026, 12, 7, 18, 30, 5, 1, tzinfo=UTC),
        datetime(2026, 12, 7, 18, 30, 5, tzinfo=UTC),
        datetime(2026, 12, 7, 18, 30, tzinfo=timezone(timedelta(hours=3))),
        datetime(2026, 12, 7, 18, 30, 5, 500000),
    ],
)
def test_an_instant_is_shown_with_its_offset_and_always_microseconds(instant: datetime) -> None:
    aware = instant if instant.tzinfo else instant.replace(tzinfo=UTC)

    shown = Instant()._serialize(instant, "at", None)

    assert shown == aware.isoformat(timespec="microseconds")
    assert shown[26:] == aware.strftime("%z")[:3] + ":" + aware.strftime("%z")[3:]
