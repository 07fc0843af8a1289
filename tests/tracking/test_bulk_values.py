"""A batch's values on SQLite are the ones SQLAlchemy itself would store; its events' ids."""

from __future__ import annotations

import json
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


@given(instant=instants, offset=offsets, notes=st.none() | st.text(max_size=5))
def test_postgresql_rows_are_the_json_the_generic_encoder_gives(instant, offset, notes) -> None:
    from sqlalchemy.dialects import postgresql

    from server.tracking import bulk
    from server.tracking.models import HeadacheEntry, SessionLog

    at = instant.astimezone(offset)
    headache = {
        "id": uuid.uuid4(),
        "recorded_at": at,
        "received_at": at,
        "local_date": at.date(),
        "body_digest": "0" * 64,
        "started_at": at,
        "duration_minutes": 30,
        "intensity": 4,
        "side": "left",
        "triggers": ["screen_time"],
        "medication_taken": False,
        "notes": notes,
    }
    log = {
        **{k: headache[k] for k in ("id", "recorded_at", "local_date", "body_digest", "notes")},
        "slot": "morning",
        "status": "completed",
        "items": [{"item_id": str(uuid.uuid4()), "sets_done": 2}],
        "exertion": None,
        "pain_during": 2,
        "pain_after": None,
        "programme_id": None if notes is None else uuid.uuid4(),
        "revision_number": None,
    }
    for model, row in ((HeadacheEntry, headache), (SessionLog, log)):
        table = model.__table__
        insert = bulk.prepare_insert(postgresql.dialect(), table, [row], returning=True)
        # The generic encoder's JSON, but the uuid columns as 32 hex digits (PostgreSQL reads
        # both; nested values keep the generic encoding).
        hexed = {k: v.hex if isinstance(v, uuid.UUID) else v for k, v in row.items()}
        expected = json.dumps([hexed], default=bulk._encode, separators=(",", ":"))
        assert json.loads(insert.params["rows"]) == json.loads(expected)
        assert insert.params["rows"] == expected
