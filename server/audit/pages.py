"""A page's audit events (one per listed patient and the page's own) in one statement: the
columns they share bound once, the rest in one JSON document, on every database."""

from __future__ import annotations

import functools
import json
import os
import time
import uuid

import sqlalchemy as sa

from server.audit.models import AuditEvent
from server.database.any_of import key_of
from server.extensions import db


def time_ordered_ids(count: int) -> list[str]:
    """``count`` new event ids (hex) in the layout of UUID version 7: the millisecond, then 74
    random bits counted up from a random start. A page's events and the pages that follow land
    beside each other in the primary key's index, where random ids would rewrite a page of the
    index for nearly every event (SQLite writes each changed page whole at commit)."""
    millisecond = time.time_ns() // 1_000_000
    start = int.from_bytes(os.urandom(10)) >> 7  # 73 bits: counting up never overflows 74
    ids = []
    for n in range(count):
        value = start + n
        ids.append(f"{millisecond:012x}7{value >> 62:03x}{_VARIANT | value & _LOW_62:016x}")
    return ids


_VARIANT, _LOW_62 = 0b10 << 62, (1 << 62) - 1


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
