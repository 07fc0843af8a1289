"""Clinics and staff accounts: create a clinic, add, list and change staff (admins only)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from server.access import ADMIN, Actor
from server.accounts.invitations import revoke_invitations_issued_by
from server.accounts.models import STAFF_ROLES, Clinic, User
from server.accounts.passwords import hash_password, require_strong_password
from server.accounts.rules import normalise_email
from server.accounts.services.unique_emails import insert_unique, require_free_email
from server.accounts.sessions import revoke_all_sessions
from server.audit import services as audit
from server.clock import utcnow
from server.errors import Conflict, Forbidden, NotFound, Unprocessable
from server.extensions import db
from server.pagination import paginate


def create_clinic(
    *, name: str, timezone: str, language: str = "tr", emergency_number: str = "112"
) -> Clinic:
    """Create a clinic (a tenant)."""
    clinic = Clinic(
        name=name, timezone=timezone, language=language, emergency_number=emergency_number
    )
    insert_unique(clinic)
    return clinic


def create_staff(
    *,
    clinic_id: uuid.UUID,
    email: str,
    name: str,
    password: str,
    role: str = "therapist",
    language: str | None = None,
    actor: Actor | None = None,
    now: datetime | None = None,
) -> User:
    """Create a therapist or clinic admin in ``clinic_id``; ``actor=None`` is an operator (CLI)."""
    now = now or utcnow()
    if role not in STAFF_ROLES:
        raise Unprocessable("Unknown staff role.", errors={"role": [f"One of {STAFF_ROLES}."]})
    require_strong_password(password)
    clinic = db.session.get(Clinic, clinic_id)
    if clinic is None:
        raise Unprocessable("No such clinic.", errors={"clinic_id": ["No such clinic."]})
    email = normalise_email(email)
    require_free_email(email, clinic_id)
    user = User(
        clinic_id=clinic_id,
        email=email,
        name=name,
        role=role,
        language=language or clinic.language,
        password_hash=hash_password(password),
        created_at=now,
    )
    insert_unique(user)
    actor = actor or audit.SystemActor(clinic_id)  # None: an operator at the command line
    audit.record("staff.create", actor=actor, target=("user", user.id), now=now)
    return user


def list_staff(*, actor: Actor, limit: int, cursor: str | None) -> tuple[list[User], str | None]:
    """The therapists and admins of the actor's clinic, by name."""
    stmt = sa.select(User).where(User.clinic_id == actor.clinic_id, User.role.in_(STAFF_ROLES))
    return paginate(
        stmt,
        keys=[(User.name, False), (User.id, False)],
        key_of=lambda user: (user.name, user.id),
        limit=limit,
        cursor=cursor,
    )


def update_staff(
    user_id: uuid.UUID, *, actor: Actor, changes: dict[str, Any], now: datetime | None = None
) -> User:
    """A clinic admin changes a colleague's name, language, role or ``is_active``.

    Deactivating ends every session at once (and login and refresh refuse the account); the
    clinic always keeps an active admin, so an admin cannot deactivate or demote the last one,
    themself included (409). Another clinic's account is not found (404).
    """
    now = now or utcnow()
    # Two admins demoting each other at once: the clinic row serialises them.
    db.session.execute(sa.select(Clinic.id).where(Clinic.id == actor.clinic_id).with_for_update())
    user = db.session.scalar(
        sa.select(User).where(
            User.id == user_id, User.clinic_id == actor.clinic_id, User.role.in_(STAFF_ROLES)
        )
    )
    if user is None:
        raise NotFound("No therapist or admin with this id in your clinic.")
    if not _is_active_admin(actor):  # demoted or deactivated since the token was issued
        raise Forbidden("Your role may not use this endpoint.")
    role, active = changes.get("role", user.role), changes.get("is_active", user.is_active)
    loses_an_admin = user.role == ADMIN and user.is_active and not (role == ADMIN and active)
    if loses_an_admin and _active_admins(actor) <= 1:
        raise Conflict("The clinic must keep an active admin; make another admin first.")
    actions = _staff_actions(user, changes)
    for field, value in changes.items():
        setattr(user, field, value)
    if "staff.deactivate" in actions or "staff.role_change" in actions:
        revoke_all_sessions(user.id, reason="staff_change", now=now)  # tokens carry the role
    if "staff.deactivate" in actions:
        revoke_invitations_issued_by(user.id, now=now)  # a leaver's unused codes
    audit.record(actions, actor=actor, target=("user", user.id), now=now)
    db.session.flush()
    return user


def _staff_actions(user: User, changes: dict[str, Any]) -> list[str]:
    """The audit actions of ``changes`` to ``user``, one per kind of change made."""
    actions = []
    if "is_active" in changes and changes["is_active"] != user.is_active:
        actions.append("staff.reactivate" if changes["is_active"] else "staff.deactivate")
    if "role" in changes and changes["role"] != user.role:
        actions.append("staff.role_change")
    if any(changes.get(f, getattr(user, f)) != getattr(user, f) for f in ("name", "language")):
        actions.append("staff.update")
    return actions


def _is_active_admin(actor: Actor) -> bool:
    return bool(
        db.session.scalar(
            sa.select(User.id).where(
                User.id == actor.user_id, User.role == ADMIN, User.is_active.is_(True)
            )
        )
    )


def _active_admins(actor: Actor) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).where(
            User.clinic_id == actor.clinic_id, User.role == ADMIN, User.is_active.is_(True)
        )
    )


def clinic_therapist(actor: Actor, therapist_id: uuid.UUID) -> User:
    """An active staff member of the actor's clinic (422 on ``therapist_id`` otherwise)."""
    therapist = db.session.scalar(
        sa.select(User).where(
            User.id == therapist_id,
            User.clinic_id == actor.clinic_id,
            User.role.in_(STAFF_ROLES),
            User.is_active.is_(True),
        )
    )
    if therapist is None:
        raise Unprocessable(
            "No such therapist in your clinic.",
            errors={"therapist_id": ["No active therapist with this id in your clinic."]},
        )
    return therapist
