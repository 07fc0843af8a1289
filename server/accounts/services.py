"""Use cases of the accounts domain: clinics, staff, patients and their preferences.

Services flush, never commit: ``allow`` (or the CLI command) commits once at the edge.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from server.access import ADMIN, Actor, get_scoped, scoped
from server.accounts.invitations import revoke_invitations_issued_by
from server.accounts.models import STAFF_ROLES, Clinic, Patient, User
from server.accounts.passwords import hash_password, require_strong_password
from server.accounts.queries import PatientView, patient_views
from server.accounts.rules import normalise_email
from server.accounts.sessions import revoke_all_sessions
from server.audit import services as audit
from server.clock import utcnow
from server.errors import Conflict, Forbidden, NotFound, Unprocessable
from server.events import ScheduleChanged, publish
from server.extensions import db
from server.pagination import paginate
from server.validation import email_problems

EMAIL_TAKEN = "An account with this email address already exists in this clinic."


def on_preferences_changed(patient: Patient, now: datetime) -> None:
    """After a time zone, reminder switch, quiet or working hours change: reminders re-plan."""
    publish(ScheduleChanged(patient_id=patient.id, now=now))


def _insert(*rows: Any) -> None:
    """Add and flush rows; a unique-email race surfaces as 409, not 500."""
    db.session.add_all(rows)
    try:
        db.session.flush()
    except IntegrityError as error:
        raise Conflict(EMAIL_TAKEN) from error


def _require_free_email(email: str, clinic_id: uuid.UUID) -> None:
    """409 for an address this clinic already uses; another clinic's accounts are not looked
    at, so creating someone says nothing about whether another clinic knows them."""
    if problems := email_problems(email):
        raise Unprocessable(problems[0], errors={"email": problems})
    taken = sa.select(User.id).where(User.clinic_id == clinic_id, User.email == email)
    if db.session.scalar(taken) is not None:
        raise Conflict(EMAIL_TAKEN)


# --- clinics and staff --------------------------------------------------------------------


def create_clinic(
    *, name: str, timezone: str, language: str = "tr", emergency_number: str = "112"
) -> Clinic:
    """Create a clinic (a tenant)."""
    clinic = Clinic(
        name=name, timezone=timezone, language=language, emergency_number=emergency_number
    )
    _insert(clinic)
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
    _require_free_email(email, clinic_id)
    user = User(
        clinic_id=clinic_id,
        email=email,
        name=name,
        role=role,
        language=language or clinic.language,
        password_hash=hash_password(password),
        created_at=now,
    )
    _insert(user)
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


def _clinic_therapist(actor: Actor, therapist_id: uuid.UUID) -> User:
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


# --- patients -----------------------------------------------------------------------------


def create_patient(
    *,
    actor: Actor,
    name: str,
    email: str,
    timezone: str,
    language: str,
    birth_year: int | None = None,
    therapist_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> PatientView:
    """Create a patient in the actor's clinic, assigned to ``therapist_id`` or to the actor."""
    now = now or utcnow()
    therapist = _clinic_therapist(actor, therapist_id or actor.user_id)
    email = normalise_email(email)
    _require_free_email(email, actor.clinic_id)
    user = User(
        clinic_id=actor.clinic_id,
        email=email,
        name=name,
        role="patient",
        language=language,
        password_hash=None,
        created_at=now,
    )
    _insert(user)
    patient = Patient(
        id=user.id,
        clinic_id=actor.clinic_id,
        therapist_id=therapist.id,
        timezone=timezone,
        birth_year=birth_year,
        created_at=now,
    )
    _insert(patient)
    audit.record("patient.create", actor=actor, patient_id=patient.id, target="patient", now=now)
    return patient_views([patient], now=now)[0]


def get_patient(patient_id: uuid.UUID, *, actor: Actor, now: datetime | None = None) -> PatientView:
    """One patient of the actor's clinic with their summary (an audited read)."""
    now = now or utcnow()
    patient = get_scoped(Patient, patient_id, actor)
    view = patient_views([patient], now=now)[0]
    audit.read("patient.read", actor=actor, patient_id=patient.id, target="patient", now=now)
    return view


def list_patients(
    *,
    actor: Actor,
    limit: int,
    cursor: str | None,
    therapist_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> tuple[list[PatientView], str | None]:
    """The clinic's patients by name, each with a summary; audited per listed patient."""
    now = now or utcnow()
    stmt = scoped(Patient, actor).join(Patient.user).options(contains_eager(Patient.user))
    if therapist_id is not None:
        stmt = stmt.where(Patient.therapist_id == therapist_id)
    patients, next_cursor = paginate(
        stmt,
        keys=[(User.name, False), (Patient.id, False)],
        key_of=lambda patient: (patient.name, patient.id),
        limit=limit,
        cursor=cursor,
    )
    views = patient_views(patients, now=now)
    # Last, in one INSERT: on SQLite the write lock is not held while summaries are computed.
    audit.read(
        "patient.list",
        actor=actor,
        patient_ids=[patient.id for patient in patients],
        target="patient_summary",
        now=now,
        also=[audit.row("patient.list", actor=actor, target=("patient_list", None), now=now)],
    )
    return views, next_cursor


def update_patient(
    patient_id: uuid.UUID,
    *,
    actor: Actor,
    changes: dict[str, Any],
    now: datetime | None = None,
) -> PatientView:
    """Change a patient's profile. Moving them to another therapist is for clinic admins only."""
    now = now or utcnow()
    patient = get_scoped(Patient, patient_id, actor)
    new_therapist = changes.get("therapist_id", patient.therapist_id)
    if new_therapist != patient.therapist_id:
        if actor.role != ADMIN:
            raise Forbidden("Only a clinic admin may assign a patient to another therapist.")
        patient.therapist_id = _clinic_therapist(actor, new_therapist).id
    if "name" in changes:
        patient.user.name = changes["name"]
    if "language" in changes:
        patient.user.language = changes["language"]
    if "birth_year" in changes:
        patient.birth_year = changes["birth_year"]
    timezone_changed = changes.get("timezone", patient.timezone) != patient.timezone
    if timezone_changed:
        patient.timezone = changes["timezone"]
    db.session.flush()
    audit.record("patient.update", actor=actor, patient_id=patient.id, target="patient", now=now)
    if timezone_changed:
        on_preferences_changed(patient, now)
    return patient_views([patient], now=now)[0]


# --- the patient themself -----------------------------------------------------------------


def get_me(*, actor: Actor) -> Patient:
    """The calling patient's own profile and preferences (an audited read of patient data)."""
    patient = get_scoped(Patient, actor.user_id, actor)
    audit.read("patient.read", actor=actor, patient_id=patient.id, target="patient")
    return patient


def update_preferences(
    *, actor: Actor, changes: dict[str, Any], now: datetime | None = None
) -> Patient:
    """Apply the patient's preference changes, then let reminders follow them."""
    now = now or utcnow()
    patient = get_scoped(Patient, actor.user_id, actor)
    if "timezone" in changes:
        patient.timezone = changes["timezone"]
    if "language" in changes:
        patient.user.language = changes["language"]
    if "reminders_enabled" in changes:
        patient.reminders_enabled = changes["reminders_enabled"]
    if quiet := changes.get("quiet_hours"):
        patient.quiet_start, patient.quiet_end = quiet["start"], quiet["end"]
    if working := changes.get("working_hours"):
        patient.work_start, patient.work_end = working["start"], working["end"]
        if "days" in working:
            patient.work_days = sorted(set(working["days"]))
    db.session.flush()
    target = "preferences"  # the patient's own
    audit.record("preferences.update", actor=actor, patient_id=patient.id, target=target, now=now)
    on_preferences_changed(patient, now)
    return patient
