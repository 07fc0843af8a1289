"""Reads of programmes: helpers other domains call, and the audited reads the API serves.

The helpers (adherence, flags, reminders, the plan) take ids the caller has already authorized
(or run inside a job) and neither check access nor audit: the caller does both. The reads at the
end (one programme with its current revision, a patient's list, a programme's history) load
through ``get_scoped`` and audit each read.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from server.access import Actor, get_scoped, scoped
from server.accounts.models import Patient
from server.audit import services as audit
from server.clock import day_bounds_utc
from server.extensions import db
from server.pagination import paginate
from server.programmes import rules
from server.programmes.library import ExerciseLookup, localized
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
    _, day_end = day_bounds_utc(day, tz)
    return db.session.scalar(
        sa.select(ProgrammeRevision)
        .where(
            ProgrammeRevision.programme_id == programme.id,
            ProgrammeRevision.effective_at < day_end,
        )
        .order_by(ProgrammeRevision.number.desc())
        .limit(1)
    )


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


@dataclass(frozen=True)
class ProgrammeView:
    """A programme together with its current revision (what the API returns)."""

    programme: Programme
    revision: ProgrammeRevision

    def __getattr__(self, name: str) -> Any:
        return getattr(self.programme, name)


def programmes_of(patient_id: uuid.UUID) -> list[Programme]:
    """Every programme of the patient, oldest first, with every revision (a patient has few)."""
    statement = sa.select(Programme).where(Programme.patient_id == patient_id)
    statement = statement.options(sa.orm.selectinload(Programme.revisions))
    return list(db.session.scalars(statement.order_by(Programme.start_date, Programme.id)))


def exercise_names(clinic_id: uuid.UUID, ids: Any, language: str) -> dict[str, str]:
    """The names of the exercises ``ids`` in ``language``, by id as text (retired ones too)."""
    found = ExerciseLookup(clinic_id, ids=ids).by_id.values()
    return {str(e.id): localized(e.name, language) for e in found}


def revision_of(programme_id: uuid.UUID, number: int) -> ProgrammeRevision:
    """Revision ``number`` of a programme (it exists: revisions are never deleted)."""
    return db.session.scalars(
        sa.select(ProgrammeRevision).where(
            ProgrammeRevision.programme_id == programme_id, ProgrammeRevision.number == number
        )
    ).one()


# --- audited reads for the API -----------------------------------------------------------


def get_programme(
    *, actor: Actor, programme_id: uuid.UUID, now: datetime | None = None
) -> ProgrammeView:
    """A programme with its current revision (audited read)."""
    programme = get_scoped(Programme, programme_id, actor)
    view = ProgrammeView(programme, revision_of(programme.id, programme.current_revision))
    _audit_read(actor, programme, "programme.read", now)
    return view


def list_programmes(
    *,
    actor: Actor,
    patient_id: uuid.UUID,
    limit: int,
    cursor: str | None,
    now: datetime | None = None,
) -> tuple[list[ProgrammeView], str | None]:
    """A patient's programmes, newest first, each with its current revision (audited read)."""
    patient = get_scoped(Patient, patient_id, actor)
    programmes, next_cursor = paginate(
        scoped(Programme, actor).where(Programme.patient_id == patient.id),
        keys=[(Programme.created_at, True), (Programme.id, True)],
        key_of=lambda p: (p.created_at, p.id),
        limit=limit,
        cursor=cursor,
    )
    current = {
        r.programme_id: r
        for r in db.session.scalars(
            sa.select(ProgrammeRevision)
            .join(Programme, Programme.id == ProgrammeRevision.programme_id)
            .where(
                Programme.id.in_([p.id for p in programmes]),
                ProgrammeRevision.number == Programme.current_revision,
            )
        )
    }
    audit.read("programme.list", actor=actor, patient_id=patient.id, target="patient", now=now)
    return [ProgrammeView(p, current[p.id]) for p in programmes], next_cursor


def list_revisions(
    *,
    actor: Actor,
    programme_id: uuid.UUID,
    limit: int,
    cursor: str | None,
    now: datetime | None = None,
) -> tuple[list[ProgrammeRevision], str | None]:
    """The full history of a programme, oldest revision first (audited read)."""
    programme = get_scoped(Programme, programme_id, actor)
    page = paginate(
        sa.select(ProgrammeRevision).where(ProgrammeRevision.programme_id == programme.id),
        keys=[(ProgrammeRevision.number, False)],
        key_of=lambda r: (r.number,),
        limit=limit,
        cursor=cursor,
    )
    _audit_read(actor, programme, "programme.revisions.read", now)
    return page


def _audit_read(actor: Actor, programme: Programme, action: str, now: datetime | None) -> None:
    target = ("programme", programme.id)
    audit.read(action, actor=actor, patient_id=programme.patient_id, target=target, now=now)
