"""The revision in force on a local date: read in one statement (the plan and a session log
need it on nearly every request), and the same select as a guard a write embeds."""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from server.clock import day_bounds_utc
from server.db import UTCDateTime
from server.extensions import db
from server.programmes.models import Programme, ProgrammeRevision


@dataclass(frozen=True)
class InForce:
    """A day's programme and, when one is effective by then, its revision's prescription."""

    programme_id: uuid.UUID
    clinic_id: uuid.UUID
    revision: int | None
    items: list[Any]
    schedule: dict[str, Any]
    posture_breaks: dict[str, Any]


@functools.cache
def _in_force_statement() -> sa.Select:
    """:func:`_in_force_select` of bound ``:patient_id``, ``:day`` and ``:day_end``, built once."""
    return _in_force_select(
        sa.bindparam("patient_id", type_=sa.Uuid()),
        sa.bindparam("day", type_=sa.Date()),
        sa.bindparam("day_end", type_=UTCDateTime()),
    )


def still_in_force(
    patient_id: Any, day: Any, day_end: Any, programme_id: Any, number: Any
) -> sa.ColumnElement[bool]:
    """Whether revision ``number`` of ``programme_id`` is still the one in force on ``day``: a
    write checks it in its own statement, so a prescription remembered between requests is
    never written once a therapist has changed it (``server/tracking/one_record.py``)."""
    in_force = _in_force_select(patient_id, day, day_end).subquery("in_force")
    return sa.exists().where(in_force.c.id == programme_id, in_force.c.number == number)


def _in_force_select(patient_id: Any, day: Any, day_end: Any) -> sa.Select:
    """The newest programme applying on ``day``, outer-joined to its newest revision effective
    before ``day_end``: Core columns only (no ORM objects to build).
    """
    programmes, revisions = Programme.__table__, ProgrammeRevision.__table__
    earlier = revisions.alias("earlier")
    newest = (
        sa.select(sa.func.max(earlier.c.number))
        .where(
            earlier.c.programme_id == programmes.c.id,
            earlier.c.effective_at < day_end,
        )
        .correlate(programmes)
        .scalar_subquery()
    )
    return (
        sa.select(
            programmes.c.id,
            programmes.c.clinic_id,
            revisions.c.number,
            revisions.c["items"],
            revisions.c.schedule,
            revisions.c.posture_breaks,
        )
        .select_from(programmes)
        .outerjoin(
            revisions,
            sa.and_(revisions.c.programme_id == programmes.c.id, revisions.c.number == newest),
        )
        .where(
            programmes.c.patient_id == patient_id,
            programmes.c.start_date <= day,
            sa.or_(programmes.c.end_date.is_(None), programmes.c.end_date >= day),
        )
        .order_by(programmes.c.start_date.desc(), programmes.c.created_at.desc())
        # Unbound (SQLite would bind an OFFSET 0): a prepared statement may embed it.
        .limit(sa.literal_column("1"))
        .offset(sa.literal_column("0"))
    )


def in_force_on(patient_id: uuid.UUID, day: date, tz: ZoneInfo) -> InForce | None:
    """:func:`programme_on` and, for it, :func:`revision_in_force`, in one query."""
    _, day_end = day_bounds_utc(day, tz)
    params = {"patient_id": patient_id, "day": day, "day_end": day_end}
    row = db.session.execute(_in_force_statement(), params).first()
    if row is None:
        return None
    programme_id, clinic_id, number, items, schedule, posture_breaks = row
    return InForce(
        programme_id, clinic_id, number, items or [], schedule or {}, posture_breaks or {}
    )
