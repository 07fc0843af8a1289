"""Erasing a patient (clinic admins) and asking to be erased (patients). Flush, never commit.

The erasure is recorded (who, whom, why, under which retention), audited, and published as
``PatientErased``: every domain removes its own part in its handler (``server/wiring.py``).
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa

from server.access import Actor, get_scoped
from server.accounts.models import Clinic, Patient
from server.audit import services as audit
from server.clock import utcnow
from server.erasure.models import Erasure, ErasureRequest
from server.events import PatientErased, publish
from server.extensions import db


def erase_patient(
    patient_id: uuid.UUID, *, actor: Actor, reason: str, now: datetime | None = None
) -> Erasure:
    """Erase a patient of the actor's clinic (404 if unknown or already erased): identifiers
    and free text go at once, clinical records are kept de-identified or deleted as the
    clinic's ``erasure_retention`` says, and the patient's open requests close."""
    now = now or utcnow()
    patient = get_scoped(Patient, patient_id, actor)
    db.session.execute(sa.select(Patient.id).where(Patient.id == patient.id).with_for_update())
    retention = db.session.get_one(Clinic, actor.clinic_id).erasure_retention
    erasure = Erasure(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        erased_by=actor.user_id,
        reason=reason,
        retention=retention,
        erased_at=now,
    )
    db.session.add(erasure)
    db.session.flush()
    db.session.execute(
        sa.update(ErasureRequest)
        .where(ErasureRequest.patient_id == patient.id)
        .values(
            reason=None,
            closed_at=sa.func.coalesce(ErasureRequest.closed_at, now),
            erasure_id=sa.func.coalesce(ErasureRequest.erasure_id, erasure.id),
        )
    )
    target = ("erasure", erasure.id)
    audit.record("patient.erase", actor=actor, patient_id=patient.id, target=target, now=now)
    db.session.flush()
    publish(
        PatientErased(
            patient_id=patient.id, clinic_id=patient.clinic_id, retention=retention, now=now
        )
    )
    db.session.expire_all()  # the handlers wrote around the session's objects
    return erasure


def request_erasure(
    *, actor: Actor, reason: str | None, now: datetime | None = None
) -> tuple[ErasureRequest, bool]:
    """Put the patient's request in the clinic admins' queue: (request, True) when new, (the
    open one, False) when one is already waiting."""
    now = now or utcnow()
    patient = get_scoped(Patient, actor.user_id, actor)
    db.session.execute(sa.select(Patient.id).where(Patient.id == patient.id).with_for_update())
    waiting = db.session.scalar(
        sa.select(ErasureRequest).where(
            ErasureRequest.patient_id == patient.id, ErasureRequest.closed_at.is_(None)
        )
    )
    if waiting is not None:
        return waiting, False
    request = ErasureRequest(
        clinic_id=patient.clinic_id, patient_id=patient.id, reason=reason, requested_at=now
    )
    db.session.add(request)
    db.session.flush()
    target = ("erasure_request", request.id)
    audit.record("erasure.request", actor=actor, patient_id=patient.id, target=target, now=now)
    return request, True
