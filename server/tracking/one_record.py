"""One new record in as few statements as the database allows: with its audit row, the flag
engine's queue mark and the patient's last activity, one statement on PostgreSQL (data-modifying
CTEs), one per table on SQLite.
"""

from __future__ import annotations

import functools
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from server.accounts.models import Patient
from server.audit import services as audit
from server.db import SOLE_WRITE, UTCDateTime
from server.extensions import db
from server.flags import queue as flag_queue
from server.flags import services as flag_services
from server.prepared import execute_prepared
from server.tracking.store import MODELS, dialect_insert


@functools.cache
def _guarded_insert_statement(
    kind: str, dialect: str, columns: tuple[str, ...], prefix: str = ""
) -> Any:
    """``INSERT … SELECT :values WHERE the id is in no other record table ON CONFLICT DO
    NOTHING``: a new record in one statement, never shadowing another kind's id. Bound
    parameters are named ``prefix`` + column; its row count says whether it inserted.
    """
    table = MODELS[kind].__table__
    values = {name: sa.bindparam(prefix + name, type_=table.c[name].type) for name in columns}
    unused = [
        ~sa.exists().where(model.id == values["id"])
        for other, model in MODELS.items()
        if other != kind
    ]
    source = sa.select(*values.values()).where(*unused)
    insert = dialect_insert(dialect)(table).from_select(list(columns), source)
    return insert.on_conflict_do_nothing(index_elements=[table.c.id])


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
    guarded = _guarded_insert_statement(kind, "postgresql", columns, "record_")
    inserted = guarded.returning(MODELS[kind].__table__.c.id).cte("inserted")
    audited = audit.insert_bound(select_from=inserted).cte("audited")
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
    event: dict[str, Any],
    due: tuple[date, datetime] | None,
    touch: datetime | None,
    sole: bool,
) -> bool:
    """Store one new record if its id is free in every record table, with its audit ``event``,
    given ``due`` (day, now) the flag engine's queue mark, and given ``touch`` the patient's
    last activity; True when inserted (nothing is written otherwise).

    One statement on PostgreSQL, one per table on SQLite. ``sole``: the request writes nothing
    else, so on PostgreSQL the statement commits by itself, without BEGIN and COMMIT
    (:data:`server.db.SOLE_WRITE`).
    """
    if db.session.get_bind().dialect.name == "postgresql":
        return _insert_followed(kind, row, event, due, touch, sole)
    return _insert_separately(kind, row, event, due, touch)


def _insert_followed(
    kind: str,
    row: dict[str, Any],
    event: dict[str, Any],
    due: tuple[date, datetime] | None,
    touch: datetime | None,
    sole: bool,
) -> bool:
    """PostgreSQL: everything in the one statement of :func:`_insert_one_followed_statement`."""
    params = {f"record_{name}": value for name, value in row.items()}
    params |= audit.bound(event)
    if due is not None:
        params.update(
            due_patient_id=row["patient_id"],
            due_clinic_id=row["clinic_id"],
            due_day=due[0],
            due_now=due[1],
        )
    if touch is not None:
        params.update(touch_patient_id=row["patient_id"], touch_at=touch)
    statement = _insert_one_followed_statement(kind, tuple(row), due is not None, touch is not None)
    options = {SOLE_WRITE: True} if sole else {}
    return (
        execute_prepared(db.session.connection(), statement, params, **options).first() is not None
    )


def _insert_separately(
    kind: str,
    row: dict[str, Any],
    event: dict[str, Any],
    due: tuple[date, datetime] | None,
    touch: datetime | None,
) -> bool:
    """SQLite: one statement per table on the session's connection, each compiled once (no ORM
    autoflush or per-execution compile step), in the request's transaction."""
    connection = db.session.connection()
    statement = _guarded_insert_statement(kind, "sqlite", tuple(row))
    if execute_prepared(connection, statement, row).rowcount != 1:
        return False
    execute_prepared(connection, audit.insert_bound(), audit.bound(event))
    if due is not None:
        flag_services.queue_evaluation(
            patient_id=row["patient_id"], clinic_id=row["clinic_id"], days={due[0]}, now=due[1]
        )
    if touch is not None:
        execute_prepared(
            connection,
            _touch_statement(),
            {"touch_patient_id": row["patient_id"], "touch_at": touch},
        )
    return True
