"""Read helpers other domains call (adherence, flags, reminders, the plan).

They take ids the caller has already authorized (or run inside a job) and neither check access
nor audit: the caller does both.
"""

from __future__ import annotations

import functools
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from server.accounts.models import Patient
from server.db import UTCDateTime
from server.extensions import db
from server.programmes import rules
from server.programmes.models import Programme, ProgrammeRevision


def active_programme(patient_id: uuid.UUID) -> Programme | None:
    """The patient's active programme (the one not replaced by a newer one), if any."""
    return db.session.scalar(
        sa.select(Programme).where(Programme.patient_id == patient_id, Programme.end_date.is_(None))
    )


def programme_on(patient_id: uuid.UUID, day: date) -> Programme | None:
    """The programme that applies on local ``day``: started by then and not yet ended."""
    return db.session.scalar(
        sa.select(Programme)
        .where(
            Programme.patient_id == patient_id,
            Programme.start_date <= day,
            sa.or_(Programme.end_date.is_(None), Programme.end_date >= day),
        )
        .order_by(Programme.start_date.desc(), Programme.created_at.desc())
        .limit(1)
    )


def revision_in_force(programme: Programme, day: date, tz: ZoneInfo) -> ProgrammeRevision | None:
    """The newest revision of ``programme`` effective before the end of local ``day``.

    Only revisions; whether the programme applies on ``day`` at all is :func:`programme_on`.
    """
    _, day_end = rules.day_bounds_utc(day, tz)
    return db.session.scalar(
        sa.select(ProgrammeRevision)
        .where(
            ProgrammeRevision.programme_id == programme.id,
            ProgrammeRevision.effective_at < day_end,
        )
        .order_by(ProgrammeRevision.number.desc())
        .limit(1)
    )


@functools.cache
def _programme_and_revision_statement() -> sa.Select:
    """The newest programme applying on ``:day``, outer-joined to its newest revision effective
    before ``:day_end``; built once (statement construction is a third of the query's cost).
    """
    day = sa.bindparam("day", type_=sa.Date())
    earlier = aliased(ProgrammeRevision)
    newest = (
        sa.select(sa.func.max(earlier.number))
        .where(
            earlier.programme_id == Programme.id,
            earlier.effective_at < sa.bindparam("day_end", type_=UTCDateTime()),
        )
        .correlate(Programme)
        .scalar_subquery()
    )
    return (
        sa.select(Programme, ProgrammeRevision)
        .outerjoin(
            ProgrammeRevision,
            sa.and_(
                ProgrammeRevision.programme_id == Programme.id,
                ProgrammeRevision.number == newest,
            ),
        )
        .where(
            Programme.patient_id == sa.bindparam("patient_id", type_=sa.Uuid()),
            Programme.start_date <= day,
            sa.or_(Programme.end_date.is_(None), Programme.end_date >= day),
        )
        .order_by(Programme.start_date.desc(), Programme.created_at.desc())
        .limit(1)
    )


def programme_and_revision_on(
    patient_id: uuid.UUID, day: date, tz: ZoneInfo
) -> tuple[Programme | None, ProgrammeRevision | None]:
    """:func:`programme_on` and, for it, :func:`revision_in_force`, in one query."""
    _, day_end = rules.day_bounds_utc(day, tz)
    params = {"patient_id": patient_id, "day": day, "day_end": day_end}
    row = db.session.execute(_programme_and_revision_statement(), params).first()
    return (row[0], row[1]) if row is not None else (None, None)


def revisions_between(
    patient_id: uuid.UUID, start_day: date, end_day: date, tz: ZoneInfo | None = None
) -> dict[date, ProgrammeRevision | None]:
    """For each local date in ``[start_day, end_day]``, the revision that prescribed that day.

    None on days no programme applies (before the first start, after an end). Two queries.
    Use it to judge each day's logs against the revision in force then.
    """
    if tz is None:
        tz = ZoneInfo(db.session.get(Patient, patient_id).timezone)
    programmes = db.session.scalars(
        sa.select(Programme).where(
            Programme.patient_id == patient_id,
            Programme.start_date <= end_day,
            sa.or_(Programme.end_date.is_(None), Programme.end_date >= start_day),
        )
    ).all()
    revisions = db.session.scalars(
        sa.select(ProgrammeRevision).where(
            ProgrammeRevision.programme_id.in_([p.id for p in programmes])
        )
    ).all()
    by_programme: dict[uuid.UUID, list[ProgrammeRevision]] = {p.id: [] for p in programmes}
    for revision in revisions:
        by_programme[revision.programme_id].append(revision)
    newest_first = sorted(programmes, key=lambda p: (p.start_date, p.created_at), reverse=True)
    result: dict[date, ProgrammeRevision | None] = {}
    for offset in range((end_day - start_day).days + 1):
        day = start_day + timedelta(days=offset)
        programme = next(
            (
                p
                for p in newest_first
                if p.start_date <= day and (p.end_date is None or day <= p.end_date)
            ),
            None,
        )
        result[day] = rules.in_force_on(by_programme[programme.id], day, tz) if programme else None
    return result


def intensity_increases(patient_id: uuid.UUID) -> list[datetime]:
    """When each ``progress`` revision of the patient took effect, oldest first.

    The flag engine marks a flare-up *expected* within 14 days of one of these.
    """
    return list(
        db.session.scalars(
            sa.select(ProgrammeRevision.effective_at)
            .where(ProgrammeRevision.patient_id == patient_id, ProgrammeRevision.kind == "progress")
            .order_by(ProgrammeRevision.effective_at)
        )
    )
