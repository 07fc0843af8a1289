"""Outcome measures and flags as FHIR resources.

- a measure response: a ``QuestionnaireResponse`` (its questionnaire the measure's code and
  version as a canonical, each answered item with its value); its score and band are in the
  JSON export, since a ``QuestionnaireResponse`` has no element for them;
- a flag: a ``DetectedIssue`` (the rule's finding: severity, the evidence each day added, and
  its lifecycle as mitigations: acknowledged, resolved with the action and note), and, while
  it is open or acknowledged, a ``Flag`` for the clinical alert itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fhir.resources.R4B.detectedissue import DetectedIssue
from fhir.resources.R4B.flag import Flag as FhirFlag
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from server.accounts.models import Patient
from server.export.fhir.codes import (
    CLINICAL_FLAG,
    Built,
    built,
    derived_id,
    instant,
    ref,
    text_only,
)
from server.flags import queries as flags
from server.flags.models import ACTIVE_STATUSES, Flag
from server.measures import queries as measures
from server.measures.models import MeasureResponse

# The canonical of a measure's questionnaire; the service publishes no Questionnaire
# resources, so it is a URN naming the measure and version.
QUESTIONNAIRE = "urn:hep-tracker:measure:{code}|{version}"
# FHIR's DetectedIssue severity (high | moderate | low) for each flag severity.
ISSUE_SEVERITY = {
    "urgent": "high",
    "high": "high",
    "normal": "moderate",
    "low": "low",
    "info": "low",
}


def questionnaire_response(response: MeasureResponse, patient: Patient) -> Built:
    """The answers to one outcome measure, item by item."""
    items = [
        {"linkId": str(answer["item"]), "answer": [_value(answer["value"])]}
        for answer in response.answers
        if answer.get("value") is not None
    ]
    return built(
        QuestionnaireResponse,
        id=str(response.id),
        questionnaire=QUESTIONNAIRE.format(
            code=response.measure_code, version=response.measure_version
        ),
        status="completed",
        subject=ref(patient.id),
        source=ref(patient.id),
        authored=instant(response.recorded_at),
        item=items or None,
    )


def _value(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"valueBoolean": value}
    if isinstance(value, int):
        return {"valueInteger": value}
    if isinstance(value, float):
        return {"valueDecimal": value}
    return {"valueString": str(value)}


def detected_issue(flag: Flag, patient: Patient) -> Built:
    """The rule's finding with its evidence, and what the therapist did about it."""
    evidence = [
        {"code": [text_only(_evidence_text(entry))]} for entry in flag.evidence if entry.get("rule")
    ]
    mitigation = []
    if flag.acknowledged_at:
        mitigation.append(
            {"action": text_only("Acknowledged"), "date": instant(flag.acknowledged_at)}
        )
    if flag.resolved_at:
        how = flag.resolution_action or flag.auto_resolution_reason or flag.status
        mitigation.append(
            {"action": text_only(f"Resolved: {how}"), "date": instant(flag.resolved_at)}
        )
    detail = flag.suggested_action
    if flag.resolution_note:
        detail = f"{detail}\nResolution note: {flag.resolution_note}"
    return built(
        DetectedIssue,
        id=str(flag.id),
        status="final" if flag.status not in ACTIVE_STATUSES else "preliminary",
        code=text_only(flag.type.replace("_", " ")),
        severity=ISSUE_SEVERITY.get(flag.severity),
        patient=ref(patient.id),
        identifiedPeriod={
            "start": flag.episode_start.isoformat(),
            **({"end": flag.episode_end.isoformat()} if flag.episode_end else {}),
        },
        detail=detail,
        evidence=evidence or None,
        mitigation=mitigation or None,
    )


def _evidence_text(entry: dict[str, Any]) -> str:
    text = f"{entry['rule']} on {entry.get('day')}: values {entry.get('values')}"
    if entry.get("thresholds") is not None:
        text += f", thresholds {entry['thresholds']}"
    if entry.get("withdrawn"):
        text += " (withdrawn: later data no longer supports it)"
    return text


def alert_flag(flag: Flag, patient: Patient) -> Built:
    """An open (or acknowledged) clinical flag, for whoever sees the patient next."""
    return built(
        FhirFlag,
        id=str(derived_id(flag.id, "Flag")),
        status="active",
        category=[CLINICAL_FLAG],
        code=text_only(f"{flag.type.replace('_', ' ')} ({flag.severity})"),
        subject=ref(patient.id),
        period={"start": instant(flag.opened_at)},
    )


def clinical_resources(patient: Patient) -> Iterator[Built]:
    """Every measure response, then every flag's finding and its alert while it is active."""
    for response in measures.every_response(patient.id):
        yield questionnaire_response(response, patient)
    for flag in flags.every_flag(patient.id):
        yield detected_issue(flag, patient)
        if flag.status in ACTIVE_STATUSES:
            yield alert_flag(flag, patient)
