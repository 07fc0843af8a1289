"""A batch's values are the ones SQLAlchemy itself would store (both databases); its events' ids."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite

from server.audit import services as audit
from server.audit.services import time_ordered_ids
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
    texts = audit.minted(3, at)["audit_ids"]  # PostgreSQL's: one array's text of such ids
    assert (texts[0], texts[-1]) == ("{", "}")
    assert {uuid.UUID(t).int >> 80 for t in texts[1:-1].split(",")} == {ids[0].int >> 80}
    assert time_ordered_ids(0, at) == []
    assert time_ordered_ids(1, at + timedelta(milliseconds=1)) > minted[:1]


TRICKY_NOTES = [None, "", "plain", 'quote " and \\ backslash', "é ü 漢字 🙂", 'a,{b},"c"', "NULL"]


@pytest.mark.parametrize("notes", TRICKY_NOTES)
def test_a_postgresql_batch_stores_what_a_plain_insert_stores(
    app_ctx, patient, is_postgres, notes
) -> None:
    """The batch's binary arrays (bulk.postgresql_columns) store the values a plain Core INSERT
    of the same rows stores: instants with any offset, nulls, text, JSON, booleans."""
    import sqlalchemy as sa

    from server.extensions import db
    from server.tracking import bulk
    from server.tracking.models import HeadacheEntry, SessionLog

    if not is_postgres:
        pytest.skip("the binary arrays are PostgreSQL's")
    at = datetime(2026, 12, 7, 8, 30, 15, 123456, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    shared = {"clinic_id": patient.clinic_id, "patient_id": patient.id, "received_at": at}
    headache = {
        "recorded_at": at,
        "local_date": at.date(),
        "body_digest": "0" * 64,
        "started_at": at - timedelta(microseconds=1),
        "duration_minutes": 30,
        "intensity": 4,
        "side": "left",
        "triggers": ["screen_time", notes, {"nested": [1, 2.5, True, None, "é"]}],
        "medication_taken": notes is None,
        "notes": notes,
    }
    log = {
        **{k: headache[k] for k in ("recorded_at", "local_date", "body_digest", "notes")},
        "slot": "morning",
        "status": "completed",
        "items": [{"item_id": str(uuid.uuid4()), "sets_done": 2, "note": notes}],
        "exertion": None,
        "pain_during": 2,
        "pain_after": None,
        "programme_id": None,
        "revision_number": None if notes is None else 3,
    }
    for model, values in ((HeadacheEntry, headache), (SessionLog, log)):
        table = model.__table__
        batched, plain = uuid.uuid4(), uuid.uuid4()
        rows = [{"id": batched, **values, **shared}]
        insert = bulk.prepare_insert(db.session.get_bind().dialect, table, rows, returning=True)
        assert bulk.run(db.session.connection(), insert) == [batched]
        db.session.execute(sa.insert(table).values(id=plain, **values, **shared))
        stored = {
            row.id: {k: v for k, v in row._mapping.items() if k != "id"}
            for row in db.session.execute(sa.select(table).where(table.c.id.in_([batched, plain])))
        }
        assert stored[batched] == stored[plain]
    db.session.rollback()
