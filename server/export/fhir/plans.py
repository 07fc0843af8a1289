"""The patient and their programmes: ``Patient``, and a ``CarePlan`` per programme revision.

The programme's ``CarePlan`` (its id) holds the revision in force; each earlier revision is a
``CarePlan`` of its own (the revision's id, status ``revoked``) that the next one ``replaces``.
Each exercise is an ``activity.detail``: the exercise's name (no code system names home
exercises), the dose as text and as a quantity of repetitions, and the session slots as
``scheduledTiming``. Posture breaks are one more activity, repeating every N minutes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.patient import Patient as FhirPatient

from server.accounts.models import Patient
from server.export.fhir.codes import LANGUAGE, UCUM, Built, built, instant, ref, text_only
from server.programmes import queries as programmes
from server.programmes.models import Programme, ProgrammeRevision

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # ISO 1..7


def patient_resource(patient: Patient) -> Built:
    """The patient: name, email, birth year, language; the clinic by name."""
    user = patient.user
    return built(
        FhirPatient,
        id=str(patient.id),
        active=user.is_active,
        name=[{"text": user.name}],
        telecom=[{"system": "email", "value": user.email}],
        birthDate=str(patient.birth_year) if patient.birth_year else None,
        communication=[
            {
                "language": {"coding": [{"system": LANGUAGE, "code": user.language}]},
                "preferred": True,
            }
        ],
        managingOrganization={"display": user.clinic.name},
    )


def care_plans(patient: Patient, today: date) -> Iterator[Built]:
    """A ``CarePlan`` per revision of every programme, oldest first."""
    language = patient.user.language
    for programme in programmes.programmes_of(patient.id):
        ids = {item["exercise_id"] for r in programme.revisions for item in r.items}
        names = programmes.exercise_names(programme.clinic_id, ids, language)
        previous = None
        for revision in programme.revisions:
            current = revision.number == programme.current_revision
            plan_id = programme.id if current else revision.id
            yield _care_plan(patient, programme, revision, plan_id, previous, names, today)
            previous = plan_id


def _status(programme: Programme, current: bool, today: date) -> str:
    if not current:
        return "revoked"
    return "completed" if programme.end_date and programme.end_date < today else "active"


def _care_plan(
    patient: Patient,
    programme: Programme,
    revision: ProgrammeRevision,
    plan_id: Any,
    replaces: Any,
    names: dict[str, str],
    today: date,
) -> Built:
    status = _status(programme, revision.number == programme.current_revision, today)
    activity_status = {"active": "scheduled", "completed": "completed"}.get(status, "cancelled")
    activities = [_exercise(item, revision, names, activity_status) for item in revision.items]
    if revision.posture_breaks.get("enabled"):
        activities.append(_posture_breaks(revision.posture_breaks, patient, activity_status))
    period = {"start": programme.start_date.isoformat()}
    if programme.end_date:
        period["end"] = programme.end_date.isoformat()
    note = f"Revision {revision.number} ({revision.kind}): {revision.reason}"
    return built(
        CarePlan,
        id=str(plan_id),
        status=status,
        intent="plan",
        title=programme.template_slug,
        subject=ref(patient.id),
        period=period,
        created=instant(revision.effective_at),
        replaces=[ref(replaces)] if replaces else None,
        note=[{"time": instant(revision.created_at), "text": note}],
        activity=activities or None,
    )


def dose_text(dosage: dict[str, Any]) -> str:
    """``2 × 10 reps, hold 5 s, rest 10 s`` from a resolved dose."""
    parts = []
    if dosage.get("reps"):
        parts.append(f"{dosage.get('sets') or 1} × {dosage['reps']} reps")
    if dosage.get("hold_seconds"):
        parts.append(f"hold {dosage['hold_seconds']} s")
    if dosage.get("rest_seconds"):
        parts.append(f"rest {dosage['rest_seconds']} s")
    if dosage.get("target"):
        parts.append(str(dosage["target"]))
    return ", ".join(parts)


def _exercise(
    item: dict[str, Any], revision: ProgrammeRevision, names: dict[str, str], status: str
) -> dict[str, Any]:
    dosage = item.get("dosage") or {}
    slots = item.get("slots") or [s["slot"] for s in revision.schedule["slots"]]
    times = [f"{s['time']}:00" for s in revision.schedule["slots"] if s["slot"] in slots]
    detail: dict[str, Any] = {
        "status": status,
        "code": text_only(names.get(item["exercise_id"], item["exercise_slug"])),
        "description": ": ".join(filter(None, [f"Level {item['level']}", dose_text(dosage)])),
        "scheduledTiming": {
            "repeat": {
                "dayOfWeek": [WEEKDAYS[d - 1] for d in revision.schedule["days"]],
                "timeOfDay": times,
            }
        },
    }
    if dosage.get("reps"):
        total = dosage["reps"] * (dosage.get("sets") or 1)
        detail["quantity"] = {
            "value": total,
            "unit": "repetitions",
            "system": UCUM,
            "code": "{repetitions}",
        }
    return {"detail": detail}


def _posture_breaks(rule: dict[str, Any], patient: Patient, status: str) -> dict[str, Any]:
    interval = rule.get("interval_minutes") or 40
    return {
        "detail": {
            "status": status,
            "code": text_only("Posture break"),
            "description": (
                f"A short posture break every {interval} minutes during working hours "
                f"({patient.work_start:%H:%M}-{patient.work_end:%H:%M})."
            ),
            "scheduledTiming": {
                "repeat": {
                    "frequency": 1,
                    "period": interval,
                    "periodUnit": "min",
                    "dayOfWeek": [WEEKDAYS[d - 1] for d in patient.work_days],
                }
            },
        }
    }
