"""Reading programmes, each read audited: one with its current revision, a patient's list, and
a programme's full history of revisions.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa

from server.access import Actor, get_scoped, scoped
from server.accounts.models import Patient
from server.audit import services as audit
from server.extensions import db
from server.pagination import paginate
from server.programmes.models import Programme, ProgrammeRevision
from server.programmes.services import ProgrammeView, revision_of


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
