"""The evaluation queue: one row per patient in ``flag_evaluation_states``. Flush, never commit.

Ingest marks a patient due in its own transaction (one upsert); the scheduler's frequent tick
claims due rows (``next_sweep_at <= now``, indexed) with ``FOR UPDATE SKIP LOCKED`` and
evaluates them. The row is also the per-patient lock every flag write takes.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from server.accounts.models import Patient
from server.db import UTCDateTime
from server.extensions import db
from server.flags.models import FlagEvaluationState
from server.prepared import execute_prepared
from server.programmes.models import Programme

STATES = FlagEvaluationState.__table__


def _insert(dialect: str, target: object = STATES) -> sa.Insert:
    return (postgresql if dialect == "postgresql" else sqlite).insert(target)


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _moves_earlier(current: sa.ColumnElement, new: sa.ColumnElement) -> sa.ColumnElement:
    return sa.or_(current.is_(None), new < current)


def _earlier(current: sa.ColumnElement, new: sa.ColumnElement) -> sa.ColumnElement:
    """The earlier of the stored and the new value, NULL counting as 'none yet' (portable)."""
    return sa.case((_moves_earlier(current, new), new), else_=current)


def _upsert_due(insert: Any) -> Any:
    """On conflict keep the earlier due time and the earlier pending day. A patient already
    due as early, from as early a day, is left alone: a burst of records between two ticks
    writes the row once, not once per record (SQLite: no page written; PostgreSQL: the row is
    only locked, with no new row version and no new index entries for ``next_sweep_at``).
    """
    due, day = insert.excluded.next_sweep_at, insert.excluded.pending_from
    return insert.on_conflict_do_update(
        index_elements=[STATES.c.patient_id],
        set_={
            "next_sweep_at": _earlier(STATES.c.next_sweep_at, due),
            "pending_from": _earlier(STATES.c.pending_from, day),
        },
        where=sa.or_(
            _moves_earlier(STATES.c.next_sweep_at, due),
            _moves_earlier(STATES.c.pending_from, day),
        ),
    )


@functools.cache
def _mark_due_statement(dialect: str) -> sa.Insert:
    return _upsert_due(
        _insert(dialect).values(
            patient_id=sa.bindparam("patient_id", type_=STATES.c.patient_id.type),
            clinic_id=sa.bindparam("clinic_id", type_=STATES.c.clinic_id.type),
            next_sweep_at=sa.bindparam("now", type_=UTCDateTime()),
            pending_from=sa.bindparam("day", type_=sa.Date()),
        )
    )


def mark_due_from(source: sa.Select[Any]) -> sa.Insert:
    """:func:`mark_due` as ``INSERT … SELECT`` (PostgreSQL), to compose into a larger statement:
    ``source`` yields (patient_id, clinic_id, due at, earliest pending day).
    """
    columns = ["patient_id", "clinic_id", "next_sweep_at", "pending_from"]
    return _upsert_due(postgresql.insert(STATES).from_select(columns, source))


def mark_due(
    *, patient_id: uuid.UUID, clinic_id: uuid.UUID, days: Iterable[date], now: datetime
) -> bool:
    """Queue the patient for evaluation from the earliest of ``days`` on, due at ``now``; True
    when that wrote the row (a new mark, or one that moved earlier)."""
    earliest = min(days)
    result = execute_prepared(
        db.session.connection(),
        _mark_due_statement(_dialect()),
        {"patient_id": patient_id, "clinic_id": clinic_id, "now": now, "day": earliest},
    )
    return result.rowcount == 1


def mark_many_due(marks: Iterable[tuple[uuid.UUID, uuid.UUID, date]], now: datetime) -> int:
    """:func:`mark_due` for many patients at once, ``(patient_id, clinic_id, from day)`` each:
    one statement executed with every mark's parameters; returns how many were given."""
    params = [
        {"patient_id": patient_id, "clinic_id": clinic_id, "now": now, "day": day}
        for patient_id, clinic_id, day in marks
    ]
    if params:
        db.session.execute(_mark_due_statement(_dialect()), params)
    return len(params)


def lock_patient(patient_id: uuid.UUID, clinic_id: uuid.UUID) -> FlagEvaluationState:
    """The patient's evaluation state row, created if missing and locked until commit.

    Every flag write for a patient goes through this lock (PostgreSQL row lock; SQLite has a
    single writer), so an evaluation, a red flag and a therapist never change one patient's
    flags at the same time.
    """
    stmt = _insert(_dialect(), FlagEvaluationState).values(
        patient_id=patient_id, clinic_id=clinic_id
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["patient_id"], set_={"clinic_id": stmt.excluded.clinic_id}
    ).returning(FlagEvaluationState)
    return db.session.scalars(stmt, execution_options={"populate_existing": True}).one()


def claim_due(now: datetime, limit: int) -> list[FlagEvaluationState]:
    """Up to ``limit`` states due by ``now``, oldest due first, locked; rows others hold are
    skipped (PostgreSQL), and so are patients who withdrew consent or were erased. An index
    range scan on ``next_sweep_at``: cheap when nothing is due.
    """
    processing_allowed = sa.exists().where(
        Patient.id == FlagEvaluationState.patient_id,
        Patient.consent_withdrawn_at.is_(None),
        Patient.erased_at.is_(None),
    )
    return list(
        db.session.scalars(
            sa.select(FlagEvaluationState)
            .where(FlagEvaluationState.next_sweep_at <= now, processing_allowed)
            .order_by(FlagEvaluationState.next_sweep_at)
            .limit(limit)
            .with_for_update(skip_locked=True),
            execution_options={"populate_existing": True},
        )
    )


def ensure_sweep_states(now: datetime) -> None:
    """Give every patient with a started programme an evaluation state row (set-based)."""
    latest_start = (now + timedelta(hours=14)).date()  # the earliest "today" is UTC-12..+14
    missing = (
        sa.select(
            Programme.patient_id,
            Programme.clinic_id,
            sa.bindparam("due", now, type_=UTCDateTime()),
        )
        .where(
            Programme.start_date <= latest_start,
            ~sa.exists().where(FlagEvaluationState.patient_id == Programme.patient_id),
        )
        .distinct()
    )
    stmt = _insert(_dialect()).from_select(["patient_id", "clinic_id", "next_sweep_at"], missing)
    db.session.execute(stmt.on_conflict_do_nothing(index_elements=["patient_id"]))
