"""Set-based persistence of patient records: id lookup across tables, conflict-safe bulk
inserts, bulk audit rows, the prescriptions session logs are checked against, and the hooks
into the flag engine.
"""

from __future__ import annotations

import functools
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from server.access import Actor
from server.accounts.models import Patient
from server.audit.models import AuditEvent
from server.audit.services import SYSTEM_ROLE
from server.db import SOLE_WRITE, UTCDateTime
from server.extensions import db
from server.flags import queue as flag_queue
from server.flags import services as flag_services
from server.programmes import queries as programme_queries
from server.programmes.models import Programme, ProgrammeRevision
from server.programmes.rules import day_bounds_utc
from server.tracking import bulk
from server.tracking.models import (
    HeadacheEntry,
    PainRating,
    PostureBreak,
    SessionLog,
    SymptomCheck,
)
from server.tracking.rules import Candidate, Prescription, Stored

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


def prescriptions(
    patient_id: uuid.UUID, days: Sequence[date], tz: ZoneInfo
) -> dict[date, Prescription | None]:
    """The revision in force on each local date of ``days`` (one per session log), None where
    none was: one query for a single log, two for a batch (its whole span at once), and one more
    for the items it may name (see :func:`_items_prescribed_by`).
    """
    if not days:
        return {}
    if len(days) == 1:
        (day,) = days
        found = programme_queries.in_force_on(patient_id, day, tz)
        in_force = {day: (found.programme_id, found.revision) if found and found.revision else None}
    else:
        span = programme_queries.revisions_between(patient_id, min(days), max(days), tz)
        in_force = {d: (r.programme_id, r.number) if r else None for d, r in span.items()}
    prescribed = _items_prescribed_by(patient_id, [day_bounds_utc(d, tz)[1] for d in in_force])
    return {
        day: Prescription(found[0], found[1], prescribed(day_bounds_utc(day, tz)[1]))
        if found
        else None
        for day, found in in_force.items()
    }


def _items_prescribed_by(patient_id: uuid.UUID, day_ends: Sequence[datetime]) -> Any:
    """A function of a day's end giving the items of every revision of the patient's
    programmes effective before it, newest revision first, in one query.

    Not only the revision in force at the day's end: a log written offline in the morning may
    name an item that a revision (or a replacing programme) took away that afternoon, and a real
    session must not be refused for it. An id no revision ever held is still refused.
    """
    rows = db.session.execute(
        sa.select(ProgrammeRevision.effective_at, ProgrammeRevision.items)
        .join(Programme, Programme.id == ProgrammeRevision.programme_id)
        .where(Programme.patient_id == patient_id, ProgrammeRevision.effective_at < max(day_ends))
        .order_by(ProgrammeRevision.effective_at.desc(), ProgrammeRevision.number.desc())
    ).all()
    return lambda day_end: [item for at, items in rows if at < day_end for item in items or []]


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
def _guarded_insert_statement(
    kind: str, dialect: str, columns: tuple[str, ...], prefix: str = ""
) -> Any:
    """``INSERT … SELECT :values WHERE the id is in no other record table ON CONFLICT DO
    NOTHING RETURNING id``: a new record in one statement, never shadowing another kind's id.
    Bound parameters are named ``prefix`` + column.
    """
    table = MODELS[kind].__table__
    values = {name: sa.bindparam(prefix + name, type_=table.c[name].type) for name in columns}
    unused = [
        ~sa.exists().where(model.id == values["id"])
        for other, model in MODELS.items()
        if other != kind
    ]
    source = sa.select(*values.values()).where(*unused)
    insert = _dialect_insert(dialect)(table).from_select(list(columns), source)
    return insert.on_conflict_do_nothing(index_elements=[table.c.id]).returning(table.c.id)


AUDIT_COLUMNS = tuple(c.name for c in AuditEvent.__table__.columns)


@functools.cache
def _insert_one_followed_statement(
    kind: str, columns: tuple[str, ...], queued: bool, touched: bool
) -> Any:
    """PostgreSQL: the guarded insert, its audit row, (``queued``) the flag engine's queue mark
    and (``touched``) the patient's last activity in ONE statement: the follow-ups select from
    the insert's RETURNING, so they are written exactly when the record is. Every parameter
    is prefixed (``record_``, ``audit_``, …): SQLAlchemy would read a plain ``id`` as a value
    for the UPDATE's SET.
    """
    inserted = _guarded_insert_statement(kind, "postgresql", columns, "record_").cte("inserted")
    audit = AuditEvent.__table__
    audit_values = [
        sa.bindparam(f"audit_{name}", type_=audit.c[name].type) for name in AUDIT_COLUMNS
    ]
    audited = (
        pg_insert(audit)
        .from_select(list(AUDIT_COLUMNS), sa.select(*audit_values).select_from(inserted))
        .cte("audited")
    )
    statement = sa.select(inserted.c.id).add_cte(audited)
    if queued:
        due = flag_queue.mark_due_from(
            sa.select(
                sa.bindparam("due_patient_id", type_=sa.Uuid()),
                sa.bindparam("due_clinic_id", type_=sa.Uuid()),
                sa.bindparam("due_now", type_=UTCDateTime()),
                sa.bindparam("due_day", type_=sa.Date()),
            ).select_from(inserted)
        )
        statement = statement.add_cte(due.cte("queued"))
    if touched:
        touch = _touch_statement().where(sa.select(inserted.c.id).exists())
        statement = statement.add_cte(touch.cte("touched"))
    return statement


@functools.cache
def _audit_insert_statement() -> sa.Insert:
    return sa.insert(AuditEvent.__table__)


@functools.cache
def _touch_statement() -> sa.Update:
    """``UPDATE patients SET last_activity_at = :touch_at WHERE id = :touch_patient_id``."""
    patients = Patient.__table__
    return (
        sa.update(patients)
        .where(patients.c.id == sa.bindparam("touch_patient_id", type_=patients.c.id.type))
        .values(last_activity_at=sa.bindparam("touch_at", type_=UTCDateTime()))
    )


def insert_one(
    kind: str,
    row: dict[str, Any],
    *,
    audit: dict[str, Any],
    due: tuple[date, datetime] | None,
    touch: datetime | None,
    sole: bool,
) -> bool:
    """Store one new record if its id is free in every record table, with its ``audit`` row,
    given ``due`` (day, now) the flag engine's queue mark, and given ``touch`` the patient's
    last activity; True when inserted (nothing is written otherwise).

    One statement on PostgreSQL, one per table on SQLite. ``sole``: the request writes nothing
    else, so on PostgreSQL the statement commits by itself, without BEGIN and COMMIT
    (:data:`server.db.SOLE_WRITE`).
    """
    dialect = db.session.get_bind().dialect.name
    follow_ups = {f"audit_{name}": audit[name] for name in AUDIT_COLUMNS}
    if due is not None:
        follow_ups.update(
            due_patient_id=row["patient_id"],
            due_clinic_id=row["clinic_id"],
            due_day=due[0],
            due_now=due[1],
        )
    if touch is not None:
        follow_ups.update(touch_patient_id=row["patient_id"], touch_at=touch)
    if dialect == "postgresql":
        statement = _insert_one_followed_statement(
            kind, tuple(row), due is not None, touch is not None
        )
        options = {SOLE_WRITE: True} if sole else {}
        params = {f"record_{name}": value for name, value in row.items()} | follow_ups
        result = db.session.execute(statement, params, execution_options=options)
        return result.first() is not None
    # Core statements on the session's connection: no ORM autoflush or compile step per write.
    connection = db.session.connection()
    statement = _guarded_insert_statement(kind, dialect, tuple(row))
    if connection.execute(statement, row).first() is None:
        return False
    connection.execute(_audit_insert_statement(), audit)
    if due is not None:
        flag_services.queue_evaluation(
            patient_id=row["patient_id"], clinic_id=row["clinic_id"], days={due[0]}, now=due[1]
        )
    if touch is not None:
        connection.execute(_touch_statement(), follow_ups)
    return True


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


def audit_row(
    patient: Patient, kind: str, record_id: uuid.UUID, actor: Actor | None, now: datetime
) -> dict[str, Any]:
    """The audit event of one stored record (identifiers only)."""
    return {
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


def audit_created(
    patient: Patient,
    created: Iterable[tuple[str, uuid.UUID]],
    actor: Actor | None,
    now: datetime,
) -> None:
    """One audit event per stored record, written in a single statement."""
    rows = [audit_row(patient, kind, record_id, actor, now) for kind, record_id in created]
    if len(rows) > 1 and db.session.get_bind().dialect.name == "postgresql":
        bulk.insert_rows(db.session, AuditEvent.__table__, rows, returning=False)
    elif rows:
        db.session.execute(sa.insert(AuditEvent.__table__), rows)


def raise_red_flag(check: SymptomCheck, now: datetime) -> None:
    """Hand an urgent symptom check to the flag engine (same transaction)."""
    flag_services.raise_red_flag(check=check, now=now)


def evaluate_on_ingest(patient: Patient, days: set[date], now: datetime) -> None:
    """Let the flag engine re-evaluate the patient's affected local dates (same transaction)."""
    flag_services.queue_evaluation(
        patient_id=patient.id, clinic_id=patient.clinic_id, days=days, now=now
    )
