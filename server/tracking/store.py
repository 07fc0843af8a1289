"""Set-based persistence of patient records: id lookup across tables, conflict-safe bulk
inserts, bulk audit rows, and the hooks into the flag engine.
"""

from __future__ import annotations

import functools
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from server.access import Actor
from server.accounts.models import Patient
from server.audit.models import AuditEvent
from server.audit.services import SYSTEM_ROLE
from server.extensions import db
from server.flags import services as flag_services
from server.tracking import bulk
from server.tracking.models import (
    HeadacheEntry,
    PainRating,
    PostureBreak,
    SessionLog,
    SymptomCheck,
)
from server.tracking.rules import Candidate, Stored

MODELS: dict[str, Any] = {
    "session_log": SessionLog,
    "pain_rating": PainRating,
    "headache_entry": HeadacheEntry,
    "posture_break": PostureBreak,
    "symptom_check": SymptomCheck,
}


@functools.cache
def _lookup_statement(dialect: str) -> sa.CompoundSelect:
    def by_id(kind: str, model: Any) -> sa.Select[Any]:
        stmt = sa.select(
            model.id, sa.literal(kind).label("kind"), model.patient_id, model.body_digest
        )
        if dialect == "postgresql":
            wanted = bulk.ids_table("ids", model.id.type)
            return stmt.join_from(wanted, model, model.id == wanted.c.id)
        return stmt.where(model.id.in_(sa.bindparam("ids", expanding=True)))

    return sa.union_all(*(by_id(kind, model) for kind, model in MODELS.items()))


def lookup(ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Stored]:
    """What every record table holds under these ids: one UNION ALL of primary-key lookups."""
    if not ids:
        return {}
    dialect = db.session.get_bind().dialect.name
    rows = db.session.execute(_lookup_statement(dialect), {"ids": list(set(ids))})
    # The UNION's first column loses its Uuid type on SQLite; coerce explicitly.
    return {_as_uuid(row[0]): Stored(row[1], _as_uuid(row[2]), row[3]) for row in rows}


def _as_uuid(value: Any) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    text = value if isinstance(value, str) else bytes(value).hex()
    return uuid.UUID(text)


def _dialect_insert(dialect: str) -> Any:
    return pg_insert if dialect == "postgresql" else sqlite_insert


@functools.cache
def _bulk_insert_statement(kind: str, dialect: str) -> Any:
    table = MODELS[kind].__table__
    insert = _dialect_insert(dialect)(table)
    return insert.on_conflict_do_nothing(index_elements=[table.c.id]).returning(table.c.id)


@functools.cache
def _guarded_insert_statement(kind: str, dialect: str, columns: tuple[str, ...]) -> Any:
    """``INSERT … SELECT :values WHERE the id is in no other record table ON CONFLICT DO
    NOTHING RETURNING id``: a new record in one statement, never shadowing another kind's id.
    """
    table = MODELS[kind].__table__
    values = {name: sa.bindparam(name, type_=table.c[name].type) for name in columns}
    unused = [
        ~sa.exists().where(model.id == values["id"])
        for other, model in MODELS.items()
        if other != kind
    ]
    source = sa.select(*values.values()).where(*unused)
    insert = _dialect_insert(dialect)(table).from_select(list(columns), source)
    return insert.on_conflict_do_nothing(index_elements=[table.c.id]).returning(table.c.id)


def insert_one(kind: str, row: dict[str, Any]) -> bool:
    """Store one new record if its id is free in every record table; True when inserted."""
    dialect = db.session.get_bind().dialect.name
    statement = _guarded_insert_statement(kind, dialect, tuple(row))
    return db.session.execute(statement, row).first() is not None


def insert_new(fresh: Sequence[tuple[Candidate, dict[str, Any]]]) -> set[uuid.UUID]:
    """Insert rows kind by kind (ids sorted, so concurrent batches lock in one order).

    Returns the ids a concurrent transaction had already stored (not inserted here).
    """
    dialect = db.session.get_bind().dialect.name
    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for candidate, row in fresh:
        by_kind[candidate.kind].append(row)
    lost: set[uuid.UUID] = set()
    for kind in MODELS:
        rows = sorted(by_kind.get(kind, []), key=lambda r: r["id"])
        if not rows:
            continue
        if dialect == "postgresql":
            table = MODELS[kind].__table__
            inserted = bulk.insert_rows(db.session, table, rows, returning=True)
        else:
            inserted = db.session.execute(_bulk_insert_statement(kind, dialect), rows).scalars()
        lost |= {row["id"] for row in rows} - {_as_uuid(i) for i in inserted}
    return lost


def load_row(kind: str, record_id: uuid.UUID) -> dict[str, Any]:
    """The stored column values of one record."""
    table = MODELS[kind].__table__
    row = db.session.execute(sa.select(table).where(table.c.id == record_id)).mappings().one()
    return dict(row)


def audit_created(
    patient: Patient,
    created: Iterable[tuple[str, uuid.UUID]],
    actor: Actor | None,
    now: datetime,
) -> None:
    """One audit event per stored record, written in a single statement."""
    rows = [
        {
            "id": uuid.uuid4(),
            "at": now,
            "clinic_id": patient.clinic_id,
            "actor_id": actor.user_id if actor else None,
            "actor_role": actor.role if actor else SYSTEM_ROLE,
            "action": f"{kind}.create",
            "patient_id": patient.id,
            "object_type": kind,
            "object_id": str(record_id),
        }
        for kind, record_id in created
    ]
    if len(rows) > 1 and db.session.get_bind().dialect.name == "postgresql":
        bulk.insert_rows(db.session, AuditEvent.__table__, rows, returning=False)
    elif rows:
        db.session.execute(sa.insert(AuditEvent.__table__), rows)


def raise_red_flag(check: SymptomCheck, now: datetime) -> None:
    """Hand an urgent symptom check to the flag engine (same transaction)."""
    flag_services.raise_red_flag(check=check, now=now)


def evaluate_on_ingest(patient: Patient, days: set[date], now: datetime) -> None:
    """Let the flag engine re-evaluate the patient's affected local dates (same transaction)."""
    flag_services.evaluate_on_ingest(
        patient_id=patient.id, clinic_id=patient.clinic_id, days=days, now=now
    )
