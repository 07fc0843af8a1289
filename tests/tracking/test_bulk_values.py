"""A batch's values on SQLite are the ones SQLAlchemy itself would store; its events' ids."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite

from server.audit.services import id_head, time_ordered_ids
from server.database.types import UTCDateTime
from server.tracking.bulk import sqlite_instant

DIALECT = sqlite.dialect()
STORED = UTCDateTime().dialect_impl(DIALECT).bind_processor(DIALECT)

offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
instants = st.datetimes(
    min_value=datetime(1000, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
)


@given(instant=instants, offset=offsets, whole_second=st.booleans())
def test_an_instant_is_stored_as_sqlalchemy_stores_it(instant, offset, whole_second) -> None:
    value = (instant.replace(microsecond=0) if whole_second else instant).astimezone(offset)
    assert sqlite_instant(value) == STORED(value)


def test_none_and_naive_instants_as_sqlalchemy_treats_them() -> None:
    assert sqlite_instant(None) is STORED(None) is None
    with pytest.raises(ValueError, match="naive"):
        sqlite_instant(datetime(2026, 12, 7, 8, 0))


def test_minted_event_ids_are_distinct_time_ordered_uuids() -> None:
    at = datetime(2026, 12, 7, 8, 30, 15, 250000, tzinfo=UTC)
    minted = time_ordered_ids(2000, at)
    ids = [uuid.UUID(hex=h) for h in minted]
    assert len(set(ids)) == 2000
    assert {(i.version, i.variant) for i in ids} == {(7, uuid.RFC_4122)}
    assert [i.hex for i in ids] == minted  # as SQLite stores a uuid: 32 lowercase hex digits
    assert {i.int >> 80 for i in ids} == {int(at.timestamp() * 1000)}  # UUIDv7: the instant
    assert all(str(i).startswith(id_head(at)["audit_id_head"]) for i in ids)  # as on PostgreSQL
    assert time_ordered_ids(0, at) == []
    assert time_ordered_ids(1, at + timedelta(milliseconds=1)) > minted[:1]
