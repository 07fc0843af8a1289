"""Invitations: a therapist issues a one-time code, the patient activates it with a password."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from server.access import Actor, get_scoped
from server.accounts.consents import record_consent
from server.accounts.models import Invitation, Patient, User
from server.accounts.passwords import hash_password, require_strong_password
from server.accounts.queries import latest_consent
from server.accounts.rules import INVITE_LIFETIME, invite_digest, new_invite_code
from server.accounts.sessions import TokenPair, actor_of, revoke_all_sessions, start_session
from server.audit import services as audit
from server.clock import utcnow
from server.errors import Gone, NotFound
from server.events import PasswordReset, publish
from server.extensions import db

SPENT = "This code was used, replaced or has expired. Ask your therapist for a new one."


@dataclass(frozen=True)
class IssuedInvitation:
    """The plain code exists only here, to be shown once; the database keeps a digest."""

    code: str
    expires_at: datetime


def _digest(code: str) -> str:
    return invite_digest(code, current_app.config["SECRET_KEY"])


def create_invitation(
    patient_id: uuid.UUID, *, actor: Actor, now: datetime | None = None
) -> IssuedInvitation:
    """Issue a 7-day, single-use code for a patient; older unused codes stop working."""
    now = now or utcnow()
    patient = get_scoped(Patient, patient_id, actor)
    # Two codes issued at once for one patient: the second waits here for the first to commit,
    # then revokes it (PostgreSQL; SQLite's single writer serialises them anyway).
    db.session.execute(sa.select(Patient.id).where(Patient.id == patient.id).with_for_update())
    db.session.execute(
        sa.update(Invitation)
        .where(
            Invitation.patient_id == patient.id,
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    code = new_invite_code()
    invitation = Invitation(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        code_digest=_digest(code),
        created_by=actor.user_id,
        created_at=now,
        expires_at=now + INVITE_LIFETIME,
    )
    db.session.add(invitation)
    db.session.flush()
    target = ("invitation", invitation.id)
    audit.record("invitation.create", actor=actor, patient_id=patient.id, target=target, now=now)
    return IssuedInvitation(code, invitation.expires_at)


def revoke_invitations_issued_by(user_id: uuid.UUID, *, now: datetime) -> None:
    """Unused codes a staff member issued stop working when they leave: whoever saw a code
    could otherwise still sign in as its patient."""
    db.session.execute(
        sa.update(Invitation)
        .where(
            Invitation.created_by == user_id,
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )


def activate_invitation(
    code: str,
    password: str,
    *,
    consent_version: int | None = None,
    consent_language: str | None = None,
    now: datetime | None = None,
) -> TokenPair:
    """Set the patient's password from a valid code, record their consent to the text in force
    (the one the app showed: ``consent_version``, 409 if not current) and log them in (404
    unknown code, 410 spent)."""
    now = now or utcnow()
    invitation = db.session.scalar(
        sa.select(Invitation).where(Invitation.code_digest == _digest(code))
    )
    if invitation is None:
        raise NotFound("Unknown invitation code.")
    if invitation.used_at or invitation.revoked_at or invitation.expires_at <= now:
        raise Gone(SPENT)
    issuer = db.session.get(User, invitation.created_by)
    if issuer is None or not issuer.is_active:  # issued by someone who has since left
        raise Gone(SPENT)
    require_strong_password(password)
    claimed = db.session.execute(
        sa.update(Invitation)
        .where(
            Invitation.id == invitation.id,
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .values(used_at=now)
    )
    if claimed.rowcount != 1:  # a concurrent activation won the race
        raise Gone(SPENT)
    user = db.session.get(User, invitation.patient_id)
    if user is None or not user.is_active:
        raise Gone(SPENT)
    resets = user.password_hash is not None
    # A reset by code keeps the decision in force (a withdrawal too); a first code records one.
    if consent_version is not None or latest_consent(user.id) is None:
        record_consent(
            db.session.get_one(Patient, user.id),
            actor=actor_of(user),
            language=consent_language or user.language,
            version=consent_version,
            now=now,
        )
    user.password_hash = hash_password(password)
    # A code also serves as a reset: sessions opened with the old password end here, and the
    # patient's phones hear of it (whoever typed the code may not be the patient).
    revoke_all_sessions(user.id, reason="password_set", now=now)
    if resets:
        publish(PasswordReset(user_id=user.id, invitation_id=invitation.id, now=now))
    target = ("invitation", invitation.id)
    audit.record(
        "invitation.activate", actor=actor_of(user), patient_id=user.id, target=target, now=now
    )
    return start_session(user, now=now)
