"""One new record in as few statements as the database allows: with its audit row, the
patient's last activity and, on PostgreSQL, the writes of the record's event handlers that have
a ``statement`` (the flag engine's queue mark, see ``server/wiring.py``), one statement on
PostgreSQL (data-modifying CTEs), one per table on SQLite.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from server.accounts.models import Patient
from server.audit import services as audit
from server.database.transactions import SOLE_WRITE
from server.db import UTCDateTime
from server.events import Handler
from server.extensions import db
from server.prepared import execute_prepared
from server.programmes.in_force import still_in_force
from server.tracking.store import MODELS, dialect_insert


@functools.cache
def _guarded_insert_statement(
    kind: str, dialect: str, columns: tuple[str, ...], prefix: str = "", checked: bool = False
) -> Any:
    """``INSERT … SELECT :values WHERE the id is in no other record table ON CONFLICT DO
    NOTHING``: a new record in one statement, never shadowing another kind's id. Bound
    parameters are named ``prefix`` + column; its row count says whether it inserted.
    ``checked`` (a session log): only while its revision is in force on its date, whose end
    is bound as ``prefix`` + ``in_force_until``.
    """
    table = MODELS[kind].__table__
    values = {name: sa.bindparam(prefix + name, type_=table.c[name].type) for name in columns}
    unused = [
        ~sa.exists().where(model.id == values["id"])
        for other, model in MODELS.items()
        if other != kind
    ]
    if checked:
        until = sa.bindparam(prefix + "in_force_until", type_=UTCDateTime())
        unused.append(
            still_in_force(
                values["patient_id"],
                values["local_date"],
                until,
                values["programme_id"],
                values["revision_number"],
            )
        )
    source = sa.select(*values.values()).where(*unused)
    insert = dialect_insert(dialect)(table).from_select(list(columns), source)
    return insert.on_conflict_do_nothing(index_elements=[table.c.id])


@functools.cache
def _insert_one_followed_statement(
    kind: str,
    columns: tuple[str, ...],
    followed_by: tuple[Callable[[Any], Any], ...],
    touched: bool,
    checked: bool,
) -> Any:
    """PostgreSQL: the guarded insert, its audit row, each of ``followed_by`` (a handler's
    ``statement``, fed the record's patient, clinic, now and local date) and (``touched``) the
    patient's last activity in ONE statement: the follow-ups select from the insert's
    RETURNING, so they are written exactly when the record is. Every parameter is prefixed
    (``record_``, ``audit_``, …): SQLAlchemy would read a plain ``id`` as a value for the
    UPDATE's SET.
    """
    guarded = _guarded_insert_statement(kind, "postgresql", columns, "record_", checked)
    inserted = guarded.returning(MODELS[kind].__table__.c.id).cte("inserted")
    audited = audit.insert_bound(select_from=inserted).cte("audited")
    statement = sa.select(inserted.c.id).add_cte(audited)
    for position, follow_up in enumerate(followed_by):
        handled = follow_up(
            sa.select(
                sa.bindparam("due_patient_id", type_=sa.Uuid()),
                sa.bindparam("due_clinic_id", type_=sa.Uuid()),
                sa.bindparam("due_now", type_=UTCDateTime()),
                sa.bindparam("due_day", type_=sa.Date()),
            ).select_from(inserted)
        )
        statement = statement.add_cte(handled.cte(f"handled_{position}"))
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
    touch: datetime | None,
    handlers: Sequence[Handler[Any]],
    now: datetime,
    in_force_until: datetime | None = None,
) -> tuple[bool, list[Handler[Any]]]:
    """Store one new record if its id is free in every record table, with its audit ``event``
    and, given ``touch``, the patient's last activity: (True when inserted, nothing being
    written otherwise; the ``handlers`` whose write the statement made).

    ``handlers``: those with work for the record's ``RecordsIngested``. On PostgreSQL, one
    statement that also makes the write of each handler with a ``statement``; when that is all
    of them, the statement is the request's whole write and commits by itself, without BEGIN
    and COMMIT (:data:`~server.database.transactions.SOLE_WRITE`). On SQLite, one statement per
    table, and every handler is left to the event.

    ``in_force_until`` (a session log checked against a remembered revision): the end of its
    date; nothing is written unless that revision is still in force then.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return _insert_separately(kind, row, event, touch, in_force_until), []
    embedded = [handler for handler in handlers if handler.statement is not None]
    sole = len(embedded) == len(handlers)
    follow_ups = tuple(handler.statement for handler in embedded)
    inserted = _insert_followed(kind, row, event, follow_ups, touch, now, sole, in_force_until)
    return inserted, embedded


def _insert_followed(
    kind: str,
    row: dict[str, Any],
    event: dict[str, Any],
    follow_ups: tuple[Callable[[Any], Any], ...],
    touch: datetime | None,
    now: datetime,
    sole: bool,
    in_force_until: datetime | None,
) -> bool:
    """PostgreSQL: everything in the one statement of :func:`_insert_one_followed_statement`."""
    params = {f"record_{name}": value for name, value in row.items()}
    if in_force_until is not None:
        params["record_in_force_until"] = in_force_until
    params |= audit.bound(event)
    if follow_ups:
        params.update(
            due_patient_id=row["patient_id"],
            due_clinic_id=row["clinic_id"],
            due_day=row["local_date"],
            due_now=now,
        )
    if touch is not None:
        params.update(touch_patient_id=row["patient_id"], touch_at=touch)
    statement = _insert_one_followed_statement(
        kind, tuple(row), follow_ups, touch is not None, in_force_until is not None
    )
    options = {SOLE_WRITE: True} if sole else {}
    return (
        execute_prepared(db.session.connection(), statement, params, **options).first() is not None
    )


def _insert_separately(
    kind: str,
    row: dict[str, Any],
    event: dict[str, Any],
    touch: datetime | None,
    in_force_until: datetime | None,
) -> bool:
    """SQLite: one statement per table on the session's connection, each compiled once (no ORM
    autoflush or per-execution compile step), in the request's transaction."""
    connection = db.session.connection()
    checked = in_force_until is not None
    statement = _guarded_insert_statement(kind, "sqlite", tuple(row), checked=checked)
    params = {**row, "in_force_until": in_force_until} if checked else row
    if execute_prepared(connection, statement, params).rowcount != 1:
        return False
    execute_prepared(connection, audit.insert_bound(), audit.bound(event))
    if touch is not None:
        execute_prepared(
            connection,
            _touch_statement(),
            {"touch_patient_id": row["patient_id"], "touch_at": touch},
        )
    return True
