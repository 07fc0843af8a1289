"""Reading programmes, each read audited: one with its current revision, a patient's list, and
a programme's full history of revisions.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa

from server.access import Actor, get_scoped, scoped
from server.accounts.models import Patient
from server.audit.services import record_audit
from server.clock import utcnow
from server.extensions import db
from server.pagination import paginate
from server.programmes.models import Programme, ProgrammeRevision
from server.programmes.services import ProgrammeView, audit_programme, revision_of


def get_programme(
    *, actor: Actor, programme_id: uuid.UUID, now: datetime | None = None
) -> ProgrammeView:
    """A programme with its current revision (audited read)."""
    programme = get_scoped(Programme, programme_id, actor)
    audit_programme(actor, programme, "programme.read", now or utcnow())
    return ProgrammeView(programme, revision_of(programme.id, programme.current_revision))


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
    record_audit(
        actor=actor,
        clinic_id=patient.clinic_id,
        action="programme.list",
        patient_id=patient.id,
        object_type="patient",
        object_id=patient.id,
        now=now or utcnow(),
    )
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
    audit_programme(actor, programme, "programme.revisions.read", now or utcnow())
    return paginate(
        sa.select(ProgrammeRevision).where(ProgrammeRevision.programme_id == programme.id),
        keys=[(ProgrammeRevision.number, False)],
        key_of=lambda r: (r.number,),
        limit=limit,
        cursor=cursor,
    )
