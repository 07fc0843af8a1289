"""How accounts react to other domains' events (the table: ``server/wiring.py``)."""

from __future__ import annotations

import sqlalchemy as sa

from server.accounts.models import Invitation, Patient, User
from server.accounts.sessions import revoke_all_sessions
from server.events import PatientErased, handler
from server.extensions import db

# Addresses are unique per clinic, so an erased account keeps one naming only its id.
ERASED_EMAIL = "erased-{id}@erased.invalid"


@handler()
def erase(event: PatientErased) -> None:
    """The erased patient's sessions and invitations end at once, their name, email and birth
    year go, and the account can never sign in again; the row stays under its id, which the
    audit trail and any records kept de-identified name."""
    patient_id = event.patient_id
    revoke_all_sessions(patient_id, reason="erased", now=event.now)
    db.session.execute(sa.delete(Invitation).where(Invitation.patient_id == patient_id))
    db.session.execute(
        sa.update(User)
        .where(User.id == patient_id)
        .values(
            name="",
            email=ERASED_EMAIL.format(id=patient_id.hex),
            password_hash=None,
            is_active=False,
        )
    )
    db.session.execute(
        sa.update(Patient)
        .where(Patient.id == patient_id)
        .values(birth_year=None, erased_at=event.now)
    )
