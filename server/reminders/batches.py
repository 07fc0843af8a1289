"""A claimed batch's writes in as few statements as the database allows.

On PostgreSQL one statement moves the batch's streams on, inserts its notification rows and the
outbox rows of the new ``due`` ones: every row travels in arrays, so the statement's text is the
same whatever the batch holds (parsed, prepared and planned once). SQLAlchemy's multi-row
``VALUES`` and expanding ``IN (…)`` give every batch its own text with a placeholder per value,
which psycopg re-parses on each call (its cache stops at 50 parameters): that was most of the
tick. SQLite has no arrays: an executemany each, as few rows as there are.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from server.extensions import db
from server.reminders.models import Delivery, Notification, ReminderStream

INSERT_CHUNK = 500
STREAMS = ReminderStream.__table__


def on_postgresql() -> bool:
    """Whether the session's database is PostgreSQL (the one with arrays)."""
    return db.session.get_bind().dialect.name == "postgresql"


def among(column: Any, values: Collection[Any]) -> sa.ColumnElement[bool]:
    """``column`` is one of ``values``: one array parameter on PostgreSQL, as a subquery the
    planner turns into a small join of primary-key lookups; ``IN (…)`` elsewhere."""
    if not on_postgresql():
        return column.in_(list(values))
    array = sa.bindparam(None, list(values), type_=postgresql.ARRAY(column.type))
    return column.in_(sa.select(sa.func.unnest(array)))


def insert_ignoring_duplicates(
    model: type[Any], rows: Sequence[dict[str, Any]], conflict_columns: Sequence[str]
) -> set[uuid.UUID]:
    """``INSERT … ON CONFLICT DO NOTHING`` in chunks; returns the ids actually inserted."""
    insert = postgresql.insert if on_postgresql() else sqlite.insert
    table = model.__table__
    # executemany with RETURNING ("insertmanyvalues"): one cached statement, batched rows.
    stmt = (
        insert(table)
        .on_conflict_do_nothing(index_elements=list(conflict_columns))
        .returning(table.c.id)
    )
    inserted: set[uuid.UUID] = set()
    for start in range(0, len(rows), INSERT_CHUNK):
        chunk = rows[start : start + INSERT_CHUNK]
        inserted.update(db.session.scalars(stmt, list(chunk)))
    return inserted


def push_delivery_row(notification: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The outbox row pushing ``notification`` (round ``snooze_count``) to the patient."""
    payload = {
        "notification_id": str(notification["id"]),
        "kind": notification["kind"],
        "title": notification["title"],
        "body": notification["message"],
    }
    return {
        "id": uuid.uuid4(),
        "dedupe_key": f"notification:{notification['id']}:{notification['snooze_count']}",
        "clinic_id": notification["clinic_id"],
        "recipient_id": notification["patient_id"],
        "notification_id": notification["id"],
        "channel": "push",
        "kind": notification["kind"],
        "payload": payload,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


# One UPDATE statement, executed for many rows (executemany): no ORM objects per stream.
MOVE_STREAM = (
    sa.update(STREAMS)
    .where(STREAMS.c.id == sa.bindparam("stream_id"))
    .values(
        next_due_at=sa.bindparam("next_due"),
        last_occurrence_at=sa.bindparam("last_occurrence"),
        updated_at=sa.bindparam("updated"),
    )
)

# The columns of a notification row that travel as arrays.
ROW_ARRAYS = (
    "id",
    "clinic_id",
    "patient_id",
    "kind",
    "occurrence_at",
    "status",
    "local_date",
    "slot",
    "language",
    "title",
    "message",
)
# The outbox rows get the payload and dedupe key push_delivery_row gives a new record (round 0).
WRITE_BATCH = sa.text("""
WITH planned AS (
    SELECT * FROM unnest(
        CAST(:id AS uuid[]), CAST(:clinic_id AS uuid[]), CAST(:patient_id AS uuid[]),
        CAST(:kind AS text[]), CAST(:occurrence_at AS timestamptz[]), CAST(:status AS text[]),
        CAST(:local_date AS date[]), CAST(:slot AS text[]), CAST(:language AS text[]),
        CAST(:title AS text[]), CAST(:message AS text[]), CAST(:delivery_id AS uuid[])
    ) AS p(id, clinic_id, patient_id, kind, occurrence_at, status, local_date, slot, language,
           title, message, delivery_id)
), moved AS (
    UPDATE reminder_streams AS s
    SET next_due_at = m.next_due, last_occurrence_at = m.last_occurrence, updated_at = :now
    FROM unnest(CAST(:stream_id AS uuid[]), CAST(:next_due AS timestamptz[]),
                CAST(:last_occurrence AS timestamptz[])) AS m(id, next_due, last_occurrence)
    WHERE s.id = m.id
), recorded AS (
    INSERT INTO notifications (id, clinic_id, patient_id, kind, occurrence_at, status,
                               local_date, slot, language, title, message, snooze_count,
                               created_at)
    SELECT id, clinic_id, patient_id, kind, occurrence_at, status, local_date, slot, language,
           title, message, 0, :now
    FROM planned
    ON CONFLICT (patient_id, kind, occurrence_at) DO NOTHING
    RETURNING id, status
), queued AS (
    INSERT INTO deliveries (id, dedupe_key, clinic_id, recipient_id, notification_id, channel,
                            kind, payload, status, attempts, next_attempt_at, created_at)
    SELECT p.delivery_id, concat_ws(':', 'notification', p.id, 0), p.clinic_id,
           p.patient_id, p.id, 'push', p.kind,
           jsonb_build_object('notification_id', CAST(p.id AS text), 'kind', p.kind,
                              'title', p.title, 'body', p.message),
           'pending', 0, :now, :now
    FROM recorded AS r JOIN planned AS p ON p.id = r.id
    WHERE r.status = 'due'
    ON CONFLICT (dedupe_key) DO NOTHING
)
SELECT status, count(*) FROM recorded GROUP BY status
""")


def write_batch(
    rows: Sequence[dict[str, Any]], moves: Sequence[dict[str, Any]], now: datetime
) -> tuple[Counter[str], int]:
    """Move the claimed streams on, insert the notification rows (duplicates ignored) and an
    outbox row for each new ``due`` one; returns the new rows by status and the duplicates."""
    if on_postgresql():
        return _write_batch_arrays(rows, moves, now)
    if moves:
        db.session.execute(MOVE_STREAM, list(moves))
    inserted = insert_ignoring_duplicates(
        Notification, rows, ("patient_id", "kind", "occurrence_at")
    )
    new_rows = [row for row in rows if row["id"] in inserted]
    deliveries = [push_delivery_row(row, now) for row in new_rows if row["status"] == "due"]
    insert_ignoring_duplicates(Delivery, deliveries, ("dedupe_key",))
    return Counter(row["status"] for row in new_rows), len(rows) - len(new_rows)


def _write_batch_arrays(
    rows: Sequence[dict[str, Any]], moves: Sequence[dict[str, Any]], now: datetime
) -> tuple[Counter[str], int]:
    params: dict[str, Any] = {name: [row[name] for row in rows] for name in ROW_ARRAYS}
    params["delivery_id"] = [uuid.uuid4() for _ in rows]
    params["stream_id"] = [move["stream_id"] for move in moves]
    params["next_due"] = [move["next_due"] for move in moves]
    params["last_occurrence"] = [move["last_occurrence"] for move in moves]
    params["now"] = now
    recorded = Counter(dict(db.session.execute(WRITE_BATCH, params).all()))
    return recorded, len(rows) - recorded.total()
