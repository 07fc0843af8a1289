"""Consent to the processing of health data: given at activation or later, withdrawn, given
again. Each decision is a ``Consent`` row; ``Patient.consent_withdrawn_at`` mirrors the latest so
that every write can refuse without another query. Flush, never commit."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from server.access import Actor, get_scoped
from server.accounts.models import Consent, ConsentText, Patient
from server.accounts.queries import current_consent_text, latest_consent
from server.audit import services as audit
from server.clock import utcnow
from server.errors import Conflict, ConsentNotCurrent, ProcessingStopped
from server.events import ConsentWithdrawn, ScheduleChanged, publish
from server.extensions import db

NOT_CURRENT = "This is not the current consent text: show the current one and ask again."
NOT_GIVEN = "There is no consent to withdraw."
WITHDRAWN = (
    "You have withdrawn your consent to processing, so nothing new is stored. Give your "
    "consent again in the app to continue."
)


def require_processing_allowed(patient: Patient) -> None:
    """Refuse a new record or response while the patient's consent is withdrawn (409)."""
    if patient.consent_withdrawn_at is not None:
        raise ProcessingStopped(WITHDRAWN)


def _required_text(version: int | None, now: datetime) -> ConsentText | None:
    """The text in force; a ``version`` the app names must be it (409 otherwise)."""
    text = current_consent_text(now.date())
    if version is not None and (text is None or text.version != version):
        current = text.version if text is not None else None
        raise ConsentNotCurrent(NOT_CURRENT, current_version=current)
    return text


def record_consent(
    patient: Patient,
    *,
    actor: Actor,
    language: str,
    version: int | None = None,
    now: datetime | None = None,
) -> Consent | None:
    """Record the patient's consent to the text in force (``version``, if given, must be it);
    none when no text is published. Consenting after a withdrawal restarts processing."""
    now = now or utcnow()
    text = _required_text(version, now)
    if text is None:
        return None
    consent = Consent(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        version=text.version,
        language=language,
        given_at=now,
    )
    db.session.add(consent)
    db.session.flush()
    restarted = patient.consent_withdrawn_at is not None
    patient.consent_withdrawn_at = None
    target = ("consent", consent.id)
    audit.record("consent.give", actor=actor, patient_id=patient.id, target=target, now=now)
    if restarted:
        publish(ScheduleChanged(patient_id=patient.id, now=now))
    return consent


def give_consent(
    *, actor: Actor, version: int, language: str | None = None, now: datetime | None = None
) -> Patient:
    """The patient accepts the text in force (POST /me/consents); returns the patient."""
    patient = get_scoped(Patient, actor.user_id, actor)
    record_consent(
        patient, actor=actor, language=language or patient.language, version=version, now=now
    )
    return patient


def withdraw_consent(*, actor: Actor, now: datetime | None = None) -> Patient:
    """Withdraw the patient's consent: reminders stop, new records are refused, the therapist
    is told (``ConsentWithdrawn``). 409 when there is no consent in force to withdraw."""
    now = now or utcnow()
    patient = get_scoped(Patient, actor.user_id, actor)
    db.session.execute(sa.select(Patient.id).where(Patient.id == patient.id).with_for_update())
    consent = latest_consent(patient.id, lock=True)
    if patient.consent_withdrawn_at is not None or consent is None or consent.withdrawn_at:
        raise Conflict(NOT_GIVEN)
    consent.withdrawn_at = now
    patient.consent_withdrawn_at = now
    target = ("consent", consent.id)
    audit.record("consent.withdraw", actor=actor, patient_id=patient.id, target=target, now=now)
    db.session.flush()
    publish(
        ConsentWithdrawn(
            patient_id=patient.id, clinic_id=patient.clinic_id, consent_id=consent.id, now=now
        )
    )
    return patient
