"""A page's audit events (one per listed patient and the page's own) in one statement: the
columns they share bound once, the rest in one JSON document, on every database."""

from __future__ import annotations

import functools
import json
import os
import uuid
from datetime import datetime

import sqlalchemy as sa

from server.audit.models import AuditEvent
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
    """Events that share an instant and an actor in one INSERT whose text never changes (parsed
    and planned once): the shared columns bound once, the rest in one JSON document."""
    document = json.dumps(entries, separators=(",", ":"))
    params = {name: shared[name] for name in SHARED}
    statement = _insert_page_statement(db.session.get_bind().dialect.name)
    db.session.execute(statement, {**params, "rows": document})


# Each element of the JSON array :rows is [id, action, patient_id, object_type, object_id], ids
# as key texts (database.any_of.id_text); the shared columns are bound once.
_COLUMNS = "id, at, clinic_id, actor_id, actor_role, action, patient_id, object_type, object_id"
_PAGE_SQL = {
    "sqlite": f"INSERT INTO audit_events ({_COLUMNS}) "  # noqa: S608
    "SELECT json_extract(value, '$[0]'), :at, :clinic_id, :actor_id, :actor_role, "
    "json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]'), "
    "json_extract(value, '$[4]') FROM json_each(:rows)",
    "postgresql": f"INSERT INTO audit_events ({_COLUMNS}) "  # noqa: S608
    "SELECT CAST(e->>0 AS UUID), :at, :clinic_id, :actor_id, :actor_role, e->>1, "
    "CAST(e->>2 AS UUID), e->>3, e->>4 FROM json_array_elements(CAST(:rows AS JSON)) AS e",
}


@functools.lru_cache(maxsize=4)
def _insert_page_statement(dialect: str) -> sa.TextClause:
    """The INSERT of a page's events on ``dialect``, built once."""
    table = AuditEvent.__table__
    return sa.text(_PAGE_SQL[dialect]).bindparams(
        *(sa.bindparam(name, type_=table.c[name].type) for name in SHARED),
        sa.bindparam("rows", type_=sa.Text()),
    )
