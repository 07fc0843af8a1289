"""A page's audit events (one per listed patient and the page's own) in one row: the columns
they share, and the rest in one JSON document, spread into ``audit_events`` by the scheduler."""

from __future__ import annotations

import functools
import json
import os
import uuid
from datetime import datetime

import sqlalchemy as sa

from server.audit.models import AuditPage
from server.database.any_of import key_of
from server.extensions import db


def time_ordered_ids(count: int, at: datetime) -> list[str]:
    """``count`` new event ids as 32 hex digits, in the layout of UUID version 7 (``at``'s
    milliseconds, version 7, the RFC 4122 variant, 74 random bits) from one read of the OS's
    random source: a page's or a batch's events land beside each other at the end of the
    primary key's index, where random ids would rewrite a page of it for nearly every event
    (SQLite writes each changed page whole at commit)."""
    raw = bytearray(os.urandom(16 * count))
    raw[6::16] = bytes(b & 0x0F | 0x70 for b in raw[6::16])  # version 7
    raw[8::16] = bytes(b & 0x3F | 0x80 for b in raw[8::16])  # the RFC 4122 variant
    digits, head = raw.hex(), f"{milliseconds(at):012x}"
    return [head + digits[i + 12 : i + 32] for i in range(0, 32 * count, 32)]


def milliseconds(at: datetime) -> int:
    """``at`` in milliseconds since the epoch, as the 48 bits a UUIDv7 holds."""
    return int(at.timestamp() * 1000) & 0xFFFF_FFFF_FFFF


def target_of(values: dict[str, object]) -> list[object]:
    """An event's object: its type and id."""
    return [values["object_type"], values["object_id"]]


def entry(values: dict[str, object], shared: dict[str, object]) -> list[object]:
    """An event's own columns in a page's document: id, action, patient (key text), object;
    the others it must share with the page's."""
    if any(values[name] != shared[name] for name in SHARED):
        raise ValueError("the events of one page share their instant, clinic and actor")
    event_id, patient_id = values["id"], values["patient_id"]
    dialect = db.session.get_bind().dialect
    key = key_of(patient_id, dialect) if isinstance(patient_id, uuid.UUID) else None
    return [getattr(event_id, "hex", event_id), values["action"], key, *target_of(values)]


SHARED = ("at", "clinic_id", "actor_id", "actor_role")


def insert_page(shared: dict[str, object], entries: list[list[object]]) -> None:
    """A page's events, sharing an instant and an actor, as one ``audit_pages`` row (the shared
    columns, and the rest in one JSON document): the scheduler spreads it into ``audit_events``
    (:func:`spread_pages`), and the trail's readers see it meanwhile (``audit.queries``)."""
    values = {name: shared[name] for name in SHARED}
    events = json.dumps(entries, separators=(",", ":"))
    db.session.execute(_insert_page_statement(), {**values, "events": events})


@functools.cache
def _insert_page_statement() -> sa.Insert:
    """The INSERT of a page's row, built once."""
    return sa.insert(AuditPage.__table__)


def spread_pages(batch: int) -> int:
    """Move the oldest ``batch`` pages' events into ``audit_events``, one row each, sorted as its
    per-patient index is (each leaf written once); returns how many events. Two spreaders never
    move one page twice: PostgreSQL's spreader locks the pages it moves (others skip them),
    SQLite has one writer and deletes what it moved in the same transaction."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        return db.session.execute(_spread_statement(dialect), {"batch": batch}).rowcount
    last = db.session.scalar(_last_of_batch(), {"batch": batch})
    if last is None:
        return 0
    moved = db.session.execute(_spread_statement(dialect), {"last": last}).rowcount
    db.session.execute(sa.delete(AuditPage).where(AuditPage.id <= last))
    return moved


@functools.cache
def _last_of_batch() -> sa.Select[tuple[int]]:
    oldest = sa.select(AuditPage.id).order_by(AuditPage.id).limit(sa.bindparam("batch"))
    return sa.select(sa.func.max(oldest.subquery().c.id))


# Each element of a page's JSON array is [id, action, patient_id, object_type, object_id], ids as
# key texts (database.any_of.id_text); these read them as audit_events' columns, in its order.
COLUMNS = ("id", "at", "clinic_id", "actor_id", "actor_role", "action", "patient_id")
COLUMNS += ("object_type", "object_id")
EVENTS_SQL = {
    "sqlite": "SELECT json_extract(e.value, '$[0]') AS id, p.at, p.clinic_id, p.actor_id, "
    "p.actor_role, json_extract(e.value, '$[1]') AS action, "
    "json_extract(e.value, '$[2]') AS patient_id, json_extract(e.value, '$[3]') AS object_type, "
    "json_extract(e.value, '$[4]') AS object_id FROM {pages} AS p, json_each(p.events) AS e",
    "postgresql": "SELECT CAST(e->>0 AS UUID) AS id, p.at, p.clinic_id, p.actor_id, "
    "p.actor_role, e->>1 AS action, CAST(e->>2 AS UUID) AS patient_id, e->>3 AS object_type, "
    "e->>4 AS object_id FROM {pages} AS p, json_array_elements(CAST(p.events AS JSON)) AS e",
}
_SPREAD_SQL = {
    "sqlite": "INSERT INTO audit_events ({columns}) "
    + EVENTS_SQL["sqlite"].format(pages="audit_pages")
    + " WHERE p.id <= :last ORDER BY p.clinic_id, patient_id, p.at",
    "postgresql": "WITH moved AS (DELETE FROM audit_pages WHERE id IN (SELECT id "  # noqa: S608
    "FROM audit_pages ORDER BY id LIMIT :batch FOR UPDATE SKIP LOCKED) RETURNING *) "
    "INSERT INTO audit_events ({columns}) "
    + EVENTS_SQL["postgresql"].format(pages="moved")
    + " ORDER BY p.clinic_id, patient_id, p.at",
}


@functools.lru_cache(maxsize=4)
def _spread_statement(dialect: str) -> sa.TextClause:
    """The statement that moves a batch of pages' events on ``dialect``, built once."""
    return sa.text(_SPREAD_SQL[dialect].format(columns=", ".join(COLUMNS)))
