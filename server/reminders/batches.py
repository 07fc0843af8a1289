"""A claimed batch's writes in as few statements as the database allows.

On PostgreSQL one statement moves the batch's streams on, inserts its notification rows and
the outbox rows of the new ``due`` ones. The rows travel as one JSON document
(``json_to_recordset``) and id lists as one array's text, so each statement's text is the same
whatever the batch holds: parsed, prepared and planned once. SQLAlchemy's multi-row ``VALUES``
and expanding ``IN (…)`` give every batch its own text with a placeholder per value, which
psycopg re-parses on each call (its cache stops at 50 parameters): that was most of the tick.
On SQLite an executemany each.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from server.database.any_of import uuid_array_text
from server.extensions import db
from server.reminders.models import Delivery, Notification, ReminderStream

INSERT_CHUNK = 500
STREAMS = ReminderStream.__table__


def on_postgresql() -> bool:
    """Whether the session's database is PostgreSQL (the one with arrays)."""
    return db.session.get_bind().dialect.name == "postgresql"


def among(column: Any, ids: Collection[uuid.UUID]) -> sa.ColumnElement[bool]:
    """``column`` (a UUID) is one of ``ids``: on PostgreSQL one array parameter, as a subquery
    the planner turns into a small join of index lookups; ``IN (…)`` elsewhere. The array
    travels as its text (``{…,…}``): psycopg's own list dumper costs microseconds an item."""
    if not on_postgresql():
        return column.in_(list(ids))
    array = sa.bindparam(None, uuid_array_text(ids), type_=sa.Text)
    return column.in_(sa.select(sa.func.unnest(sa.cast(array, postgresql.ARRAY(sa.Uuid)))))


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


class Handed(NamedTuple):
    """A new reminder's push queued already leased to the process that claimed its stream,
    which sends it once the batch commits: it needs no claim of its own."""

    delivery_id: uuid.UUID
    notification_id: uuid.UUID
    recipient_id: uuid.UUID
    kind: str
    title: str
    message: str
    occurrence_at: datetime


def push_payload(notification_id: uuid.UUID, kind: str, title: str, body: str) -> dict[str, str]:
    """What a reminder's push carries: identifiers and its text, never clinical details."""
    return {"notification_id": str(notification_id), "kind": kind, "title": title, "body": body}


def push_delivery_row(
    notification: dict[str, Any], now: datetime, lease_until: datetime | None = None
) -> dict[str, Any]:
    """The outbox row pushing ``notification`` (round ``snooze_count``) to the patient: due at
    ``now``, or already leased until ``lease_until`` (its first attempt counted)."""
    payload = push_payload(
        notification["id"], notification["kind"], notification["title"], notification["message"]
    )
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
        "attempts": 0 if lease_until is None else 1,
        "next_attempt_at": now if lease_until is None else lease_until,
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

# One statement a batch (PostgreSQL). The records' ids are made here, and each new ``due``
# record's outbox row is built from what its INSERT returns: the payload and dedupe key
# push_delivery_row gives a new record (round 0), due at once or already leased. It returns
# each new record with its outbox row's id (null when none was queued).
WRITE_BATCH = sa.text("""
WITH moved AS (
    UPDATE reminder_streams AS s
    SET next_due_at = m.next_due, last_occurrence_at = m.last_occurrence, updated_at = :now
    FROM json_to_recordset(CAST(:moves AS json))
        AS m(stream_id uuid, next_due timestamptz, last_occurrence timestamptz)
    WHERE s.id = m.stream_id
), recorded AS (
    INSERT INTO notifications (id, clinic_id, patient_id, kind, occurrence_at, status,
                               local_date, slot, language, title, message, snooze_count,
                               created_at)
    SELECT gen_random_uuid(), clinic_id, patient_id, kind, occurrence_at, status, local_date,
           slot, language, title, message, 0, :now
    FROM json_to_recordset(CAST(:rows AS json)) AS p(
        clinic_id uuid, patient_id uuid, kind text, occurrence_at timestamptz, status text,
        local_date date, slot text, language text, title text, message text)
    ON CONFLICT (patient_id, kind, occurrence_at) DO NOTHING
    RETURNING id, clinic_id, patient_id, kind, occurrence_at, status, title, message
), queued AS (
    INSERT INTO deliveries (id, dedupe_key, clinic_id, recipient_id, notification_id, channel,
                            kind, payload, status, attempts, next_attempt_at, created_at)
    SELECT gen_random_uuid(), concat_ws(':', 'notification', id, 0), clinic_id, patient_id,
           id, 'push', kind,
           jsonb_build_object('notification_id', CAST(id AS text), 'kind', kind,
                              'title', title, 'body', message),
           'pending', :attempts, :next_attempt_at, :now
    FROM recorded
    WHERE status = 'due'
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING id, notification_id
)
SELECT q.id, r.id, r.patient_id, r.kind, r.title, r.message, r.occurrence_at, r.status
FROM recorded AS r LEFT JOIN queued AS q ON q.notification_id = r.id
""")


class Written(NamedTuple):
    """A batch's writes: the new records by status, the duplicates another process had
    recorded, and the pushes queued leased to this process (none unless asked)."""

    recorded: Counter[str]
    duplicates: int
    handed: list[Handed]


def write_batch(
    rows: Sequence[dict[str, Any]],
    moves: Sequence[dict[str, Any]],
    now: datetime,
    lease_until: datetime | None = None,
) -> Written:
    """Move the claimed streams on, insert the notification rows (duplicates ignored) and an
    outbox row for each new ``due`` one: due at ``now``, or leased to the caller until
    ``lease_until`` and handed back for it to send."""
    if on_postgresql():
        return _write_batch_json(rows, moves, now, lease_until)
    if moves:
        db.session.execute(MOVE_STREAM, list(moves))
    rows = [row | {"id": uuid.uuid4()} for row in rows]
    inserted = insert_ignoring_duplicates(
        Notification, rows, ("patient_id", "kind", "occurrence_at")
    )
    new_rows = [row for row in rows if row["id"] in inserted]
    due = [row for row in new_rows if row["status"] == "due"]
    deliveries = [push_delivery_row(row, now, lease_until) for row in due]
    queued = insert_ignoring_duplicates(Delivery, deliveries, ("dedupe_key",))
    fields = ("id", "patient_id", "kind", "title", "message", "occurrence_at")
    handed = [
        Handed(delivery["id"], *(row[f] for f in fields))
        for row, delivery in zip(due, deliveries, strict=True)
        if lease_until is not None and delivery["id"] in queued
    ]
    recorded = Counter(row["status"] for row in new_rows)
    return Written(recorded, len(rows) - len(new_rows), handed)


def _write_batch_json(
    rows: Sequence[dict[str, Any]],
    moves: Sequence[dict[str, Any]],
    now: datetime,
    lease_until: datetime | None,
) -> Written:
    # Every value made text here, so the encoder never calls back into Python for one.
    clinics: dict[uuid.UUID, str] = {}
    document = [
        {
            "clinic_id": clinics.get(row["clinic_id"])
            or clinics.setdefault(row["clinic_id"], str(row["clinic_id"])),
            "patient_id": str(row["patient_id"]),
            "kind": row["kind"],
            "occurrence_at": row["occurrence_at"].isoformat(),  # aware: keeps its offset
            "status": row["status"],
            "local_date": row["local_date"].isoformat(),
            "slot": row["slot"],
            "language": row["language"],
            "title": row["title"],
            "message": row["message"],
        }
        for row in rows
    ]
    moved = [
        {
            "stream_id": str(move["stream_id"]),
            "next_due": _iso(move["next_due"]),
            "last_occurrence": _iso(move["last_occurrence"]),
        }
        for move in moves
    ]
    params = {
        "rows": json.dumps(document, separators=(",", ":")),
        "moves": json.dumps(moved, separators=(",", ":")),
        "now": now,
        "attempts": 0 if lease_until is None else 1,
        "next_attempt_at": now if lease_until is None else lease_until,
    }
    new_rows = db.session.execute(WRITE_BATCH, params).all()
    recorded = Counter(row[-1] for row in new_rows)
    handed = [] if lease_until is None else [Handed(*row[:-1]) for row in new_rows if row[0]]
    return Written(recorded, len(rows) - len(new_rows), handed)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


# A sent batch's deliveries and their records in one statement (PostgreSQL): the outer UPDATE
# takes the notification ids the CTE returns, so the deliveries are not read a second time.
# Both find their rows by ``= ANY(array)``: index lookups whatever the statistics say (as a
# join the planner hashed both whole tables when they had been analyzed empty).
MARK_SENT = sa.text("""
WITH sent AS (
    UPDATE deliveries SET status = 'sent', next_attempt_at = NULL, sent_at = :now,
                          last_error = NULL
    WHERE id = ANY(CAST(:ids AS uuid[]))
    RETURNING notification_id
)
UPDATE notifications SET status = 'sent', sent_at = :now
WHERE id = ANY(ARRAY(SELECT notification_id FROM sent)) AND status = 'due'
""")


def mark_sent(ids: Collection[uuid.UUID], now: datetime) -> None:
    """Mark sent deliveries ``sent`` and their records still ``due`` too (PostgreSQL only)."""
    db.session.execute(MARK_SENT, {"ids": uuid_array_text(ids), "now": now})
