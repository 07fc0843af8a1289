"""The patient's records as FHIR resources, one per record, each with the record's id.

- a pain rating: an ``Observation`` of LOINC 72514-3 (the 0-10 NRS) with the score in UCUM
  ``{score}`` and its context (morning, after a session, …) as a note;
- a headache entry: an ``Observation`` of SNOMED CT 25064002 (headache) over its period, with
  the intensity as a 72514-3 component, and the duration, side, triggers and medication;
- a posture break and a symptom check: an ``Observation`` with a text-only code (no code
  system names them exactly); a symptom check's answers are its components;
- a session log: a ``Procedure`` (the home exercise session) based on its programme's
  ``CarePlan``, ``completed``, ``stopped`` (partial) or ``not-done`` (skipped).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.procedure import Procedure

from server.accounts.models import Patient
from server.export.fhir.codes import (
    ACTIVITY,
    HEADACHE,
    PAIN_NRS,
    SURVEY,
    Built,
    built,
    instant,
    minutes,
    ref,
    score,
    text_only,
)
from server.tracking import queries as tracking

PROCEDURE_STATUS = {"completed": "completed", "partial": "stopped", "skipped": "not-done"}


def _observation(record: Any, patient: Patient, **fields: Any) -> Built:
    return built(
        Observation,
        id=str(record.id),
        status="final",
        subject=ref(patient.id),
        issued=instant(record.received_at),
        **fields,
    )


def pain_rating(record: Any, patient: Patient) -> Built:
    """LOINC 72514-3 with the score, at the time the patient rated it, and its context."""
    return _observation(
        record,
        patient,
        category=[SURVEY],
        code={"coding": [PAIN_NRS], "text": "Pain (0-10 NRS)"},
        effectiveDateTime=instant(record.recorded_at),
        valueQuantity=score(record.score),
        note=[{"text": f"context: {record.context}"}],
    )


def headache_entry(record: Any, patient: Patient) -> Built:
    """A headache over its period, with intensity, duration, side, triggers and medication."""
    components: list[dict[str, Any]] = [
        {"code": {"coding": [PAIN_NRS]}, "valueQuantity": score(record.intensity)},
        {"code": text_only("Duration"), "valueQuantity": minutes(record.duration_minutes)},
        {"code": text_only("Side"), "valueString": record.side},
        {"code": text_only("Medication taken"), "valueBoolean": record.medication_taken},
    ]
    if record.triggers:
        triggers = ", ".join(map(str, record.triggers))
        components.append({"code": text_only("Triggers"), "valueString": triggers})
    end = record.started_at + timedelta(minutes=record.duration_minutes)
    return _observation(
        record,
        patient,
        category=[SURVEY],
        code={"coding": [HEADACHE], "text": "Headache"},
        effectivePeriod={"start": instant(record.started_at), "end": instant(end)},
        component=components,
        note=[{"text": record.notes}] if record.notes else None,
    )


def posture_break(record: Any, patient: Patient) -> Built:
    """A posture break taken, at the time the patient logged it."""
    return _observation(
        record,
        patient,
        category=[ACTIVITY],
        code=text_only("Posture break taken"),
        effectiveDateTime=instant(record.recorded_at),
        valueBoolean=True,
    )


def symptom_check(record: Any, patient: Patient) -> Built:
    """A red-flag symptom check: each answer a component, and whether it was urgent."""
    components = [
        {"code": text_only(str(question)), **_answer(answer)}
        for question, answer in sorted(record.answers.items())
    ]
    return _observation(
        record,
        patient,
        category=[SURVEY],
        code=text_only("Red-flag symptom check"),
        effectiveDateTime=instant(record.recorded_at),
        valueBoolean=record.urgent,
        component=components or None,
    )


def _answer(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"valueBoolean": value}
    if isinstance(value, int):
        return {"valueInteger": value}
    return {"valueString": str(value)}


def session_log(record: Any, patient: Patient) -> Built:
    """A home exercise session as a procedure, based on the programme's care plan."""
    notes = [f"slot: {record.slot}"]
    for label, value in (
        ("exertion", record.exertion),
        ("pain during (0-10)", record.pain_during),
        ("pain after (0-10)", record.pain_after),
    ):
        if value is not None:
            notes.append(f"{label}: {value}")
    done = sum(1 for item in record.items if item.get("status") in ("completed", "partial"))
    notes.append(f"exercises done: {done} of {len(record.items)}")
    if record.notes:
        notes.append(record.notes)
    return built(
        Procedure,
        id=str(record.id),
        status=PROCEDURE_STATUS.get(record.status, "unknown"),
        code=text_only("Home exercise session"),
        subject=ref(patient.id),
        basedOn=[ref(record.programme_id)] if record.programme_id else None,
        performedDateTime=instant(record.recorded_at),
        note=[{"text": text} for text in notes],
    )


BUILDERS: dict[str, Callable[[Any, Patient], Built]] = {
    "pain_rating": pain_rating,
    "headache_entry": headache_entry,
    "posture_break": posture_break,
    "symptom_check": symptom_check,
    "session_log": session_log,
}


def record_resources(patient: Patient) -> Iterator[Built]:
    """Every record of every kind, by kind, oldest first."""
    for kind in tracking.RECORD_KINDS:
        build = BUILDERS[kind]
        for record in tracking.every_record(patient.id, kind):
            yield build(record, patient)
