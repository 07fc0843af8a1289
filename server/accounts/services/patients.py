"""Patients: create, read, list and change them (staff), and a patient's own profile and
preferences; a preference that moves reminders publishes ``ScheduleChanged``."""

from __future__ import annotations

import functools
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from server.access import ADMIN, Actor, get_scoped, patient_filter
from server.accounts.models import Patient, User
from server.accounts.queries import (
    PatientRow,
    PatientView,
    consent_status,
    latest_consent,
    patient_views,
)
from server.accounts.rules import normalise_email
from server.accounts.services.staff import clinic_therapist
from server.accounts.services.unique_emails import insert_unique, require_free_email
from server.audit import services as audit
from server.clock import utcnow
from server.database.any_of import id_text, uuid_text
from server.errors import Forbidden
from server.events import ScheduleChanged, publish
from server.extensions import db
from server.pagination import paginate


def on_preferences_changed(patient: Patient, now: datetime) -> None:
    """After a time zone, reminder switch, quiet or working hours change: reminders re-plan."""
    publish(ScheduleChanged(patient_id=patient.id, now=now))


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
    therapist = clinic_therapist(actor, therapist_id or actor.user_id)
    email = normalise_email(email)
    require_free_email(email, actor.clinic_id)
    user = User(
        clinic_id=actor.clinic_id,
        email=email,
        name=name,
        role="patient",
        language=language,
        password_hash=None,
        created_at=now,
    )
    insert_unique(user)
    patient = Patient(
        id=user.id,
        clinic_id=actor.clinic_id,
        therapist_id=therapist.id,
        timezone=timezone,
        birth_year=birth_year,
        created_at=now,
    )
    insert_unique(patient)
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
    stmt = _listed().where(patient_filter(Patient, actor))
    if therapist_id is not None:
        stmt = stmt.where(Patient.therapist_id == therapist_id)
    rows, next_cursor = paginate(
        stmt,
        keys=[(User.name, False), (Patient.id, False)],
        key_of=lambda row: (row.name, uuid.UUID(row.key)),
        limit=limit,
        cursor=cursor,
        scalars=False,
        columns_only=True,
    )
    patients = [
        PatientRow(key, uuid_text(key), name, email, zone, language, born, therapist, *rest)
        for key, name, email, zone, language, born, therapist_key, *rest in rows
        for therapist in [therapist_key and uuid_text(therapist_key)]
    ]
    views = patient_views(patients, now=now)
    # Last, in one INSERT: on SQLite the write lock is not held while summaries are computed.
    audit.read_each(
        "patient.list",
        actor=actor,
        keys=[patient.key for patient in patients],
        target="patient_summary",
        now=now,
        also=[audit.row("patient.list", actor=actor, target=("patient_list", None), now=now)],
    )
    return views, next_cursor


@functools.cache
def _listed() -> sa.Select[Any]:
    """What the list shows of each patient, as Core rows in ``PatientRow``'s order (no ORM
    objects, the ids as text): built once, each request adding its own conditions."""
    return sa.select(
        id_text(Patient.id).label("key"),
        User.name,
        User.email,
        Patient.timezone,
        User.language,
        Patient.birth_year,
        id_text(Patient.therapist_id),
        User.password_hash.is_not(None),
        Patient.created_at,
        Patient.last_activity_at,
    ).join(User, User.id == Patient.id)


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
        patient.therapist_id = clinic_therapist(actor, new_therapist).id
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
    latest = latest_consent(patient.id)
    patient.consent_status = consent_status(patient, latest, utcnow().date())
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
