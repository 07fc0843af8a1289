"""Replans that records ask for, made by the dispatch tick. A logged session, posture break or
questionnaire writes a mark (one row per patient) inside the record's own statement, so the
patient's commonest write does no planning; the tick recomputes the marked patients' streams
before it claims due ones, as of each mark's time, which is what the request would have done.
"""

from __future__ import annotations

import functools
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from server.db import UTCDateTime
from server.extensions import db
from server.prepared import execute_prepared
from server.reminders.dispatch import ClaimResult
from server.reminders.models import ReplanMark
from server.reminders.services import refresh_streams

MARKS = ReplanMark.__table__
MARK_COLUMNS = ["patient_id", "clinic_id", "marked_at"]


def _keep_earliest(insert: Any) -> Any:
    """A patient already marked keeps the earlier mark, so a burst of records writes one row.
    DO UPDATE, not DO NOTHING: it waits for a tick holding the mark, then marks again once
    that tick removed it; DO NOTHING would skip the mark the tick is about to remove."""
    return insert.on_conflict_do_update(
        index_elements=[MARKS.c.patient_id],
        set_={"marked_at": insert.excluded.marked_at},
        where=insert.excluded.marked_at < MARKS.c.marked_at,
    )


@functools.cache
def _mark_statement(dialect: str) -> Any:
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(MARKS)
    return _keep_earliest(
        insert.values(
            patient_id=sa.bindparam("patient_id", type_=MARKS.c.patient_id.type),
            clinic_id=sa.bindparam("clinic_id", type_=MARKS.c.clinic_id.type),
            marked_at=sa.bindparam("now", type_=UTCDateTime()),
        )
    )


def mark_replan_from(source: sa.Select[Any]) -> Any:
    """:func:`mark_replan` as ``INSERT … SELECT`` (PostgreSQL), to compose into a record's
    statement: ``source`` yields (patient_id, clinic_id, now, day); the day is not needed."""
    patient_and_time = source.with_only_columns(*list(source.selected_columns)[:3])
    return _keep_earliest(postgresql.insert(MARKS).from_select(MARK_COLUMNS, patient_and_time))


def mark_replan(patient_id: uuid.UUID, clinic_id: uuid.UUID, now: datetime) -> None:
    """Ask the next dispatch tick to recompute the patient's streams as of ``now``."""
    params = {"patient_id": patient_id, "clinic_id": clinic_id, "now": now}
    execute_prepared(
        db.session.connection(), _mark_statement(db.session.get_bind().dialect.name), params
    )


def replan_marked(_now: datetime, batch_size: int) -> ClaimResult:
    """Claim a batch of marks (skipping those another tick holds), recompute those patients'
    streams, each as of its mark, and remove the marks. Flushes only; the caller commits."""
    marks = db.session.execute(
        sa.select(MARKS.c.patient_id, MARKS.c.marked_at)
        .order_by(MARKS.c.patient_id)
        .limit(batch_size)
        .with_for_update(skip_locked=True)
    ).all()
    if marks:
        refresh_streams({mark.patient_id: mark.marked_at for mark in marks})
        db.session.execute(
            sa.delete(MARKS).where(MARKS.c.patient_id.in_([mark.patient_id for mark in marks]))
        )
    return ClaimResult(claimed=len(marks))
