"""Instants read from SQLite's stored text are what parsing the text and making it UTC gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.dialects import sqlite

from server.database.types import UTCDateTime

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
