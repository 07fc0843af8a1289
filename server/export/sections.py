"""The JSON export's sections, in order: what the service holds about a patient, each section
read from the domain that owns it (through its ``queries``), long ones a page at a time.

A section is ``(name, read)``: ``read(patient)`` returns an object (a ``dict``) or an iterator
of objects (streamed as an array). Adding a section is one line in :data:`SECTIONS`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from server.accounts import queries as accounts
from server.accounts.models import Patient
from server.audit import queries as audit
from server.flags import queries as flags
from server.measures import queries as measures
from server.programmes import queries as programmes
from server.reminders import queries as reminders
from server.tracking import queries as tracking

# Bump when a section is renamed or a field changes meaning; adding a section or a field
# keeps the version (readers ignore what they do not know).
FORMAT_VERSION = "1"
# Columns no export shows: the row's owner (the document is about one patient), digests
# kept for idempotent sync, and secrets.
_NEVER = frozenset({"clinic_id", "patient_id", "body_digest", "token", "password_hash"})


def columns(row: Any, *, leave_out: frozenset[str] = frozenset()) -> dict[str, Any]:
    """A stored row as its column values, without the columns no export shows."""
    hidden = _NEVER | leave_out
    return {c.key: getattr(row, c.key) for c in row.__table__.columns if c.key not in hidden}


def profile(patient: Patient) -> dict[str, Any]:
    """Who the patient is: identity, clinic and therapist (never the password hash)."""
    user = patient.user
    return {
        "id": patient.id,
        "name": user.name,
        "email": user.email,
        "birth_year": patient.birth_year,
        "clinic": {"id": patient.clinic_id, "name": user.clinic.name},
        "therapist_id": patient.therapist_id,
        "active": user.is_active,
        "created_at": patient.created_at,
        "last_activity_at": patient.last_activity_at,
    }


def preferences(patient: Patient) -> dict[str, Any]:
    """Language, time zone, reminders, quiet hours and working hours."""
    return {
        "language": patient.user.language,
        "timezone": patient.timezone,
        "reminders_enabled": patient.reminders_enabled,
        "quiet_start": patient.quiet_start,
        "quiet_end": patient.quiet_end,
        "work_start": patient.work_start,
        "work_end": patient.work_end,
        "work_days": patient.work_days,
    }


def devices(patient: Patient) -> Iterator[dict[str, Any]]:
    """Registered push devices: platform and dates, never the push token."""
    for device in reminders.devices_of(patient.id):
        yield columns(device, leave_out=frozenset({"session_id"}))


def programme_history(patient: Patient) -> Iterator[dict[str, Any]]:
    """Every programme with every revision (items, doses, schedule, posture breaks, who, why)."""
    for programme in programmes.programmes_of(patient.id):
        revisions = [columns(r, leave_out=frozenset({"programme_id"})) for r in programme.revisions]
        yield columns(programme) | {"revisions": revisions}


def records(patient: Patient) -> Iterator[dict[str, Any]]:
    """Every record of every kind, by kind, oldest first; each names its ``kind``."""
    for kind in tracking.RECORD_KINDS:
        for record in tracking.every_record(patient.id, kind):
            yield {"kind": kind} | columns(record)


def measure_schedules(patient: Patient) -> Iterator[dict[str, Any]]:
    """Outcome measures scheduled on the patient's programmes, removed ones too."""
    return map(columns, measures.schedules_of(patient.id))


def measure_responses(patient: Patient) -> Iterator[dict[str, Any]]:
    """Every answered outcome measure with its answers and score."""
    return map(columns, measures.every_response(patient.id))


def clinical_flags(patient: Patient) -> Iterator[dict[str, Any]]:
    """Every flag with its evidence and lifecycle: acknowledged, resolved, how and why."""
    return map(columns, flags.every_flag(patient.id))


def notifications(patient: Patient) -> Iterator[dict[str, Any]]:
    """Every reminder and notice made for the patient, with when it was sent and read."""
    return map(columns, reminders.every_notification(patient.id))


def consents(patient: Patient) -> Iterator[dict[str, Any]]:
    """Every consent decision: which text version, in which language, given and withdrawn when."""
    return map(columns, accounts.consents_of(patient.id))


def audit_trail(patient: Patient) -> Iterator[dict[str, Any]]:
    """Who read or changed the patient's data, and when (KVKK Art. 11): ids and roles only."""
    return map(columns, audit.trail_of(patient.id))


Section = tuple[str, Callable[[Patient], dict[str, Any] | Iterator[dict[str, Any]]]]
SECTIONS: tuple[Section, ...] = (
    ("profile", profile),
    ("preferences", preferences),
    ("devices", devices),
    ("programmes", programme_history),
    ("records", records),
    ("measure_schedules", measure_schedules),
    ("measure_responses", measure_responses),
    ("flags", clinical_flags),
    ("notifications", notifications),
    ("consents", consents),
    ("audit_trail", audit_trail),
)
