"""The code systems and codes the FHIR export uses, each from a real system, and the small
builders every resource shares. A code whose display text is not certain has none."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fhir.resources.R4B.resource import Resource

# A resource as written to the bundle: its JSON object, already validated by its R4B model.
Built = dict[str, Any]

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
LANGUAGE = "urn:ietf:bcp:47"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"

# LOINC 72514-3: the 0-10 numeric pain rating scale (NRS), as the patient reported it.
PAIN_NRS = {
    "system": LOINC,
    "code": "72514-3",
    "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
}
# SNOMED CT 25064002: Headache (finding).
HEADACHE = {"system": SNOMED, "code": "25064002"}
SURVEY = {"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}
ACTIVITY = {"coding": [{"system": OBSERVATION_CATEGORY, "code": "activity", "display": "Activity"}]}
CLINICAL_FLAG = {"coding": [{"system": FLAG_CATEGORY, "code": "clinical", "display": "Clinical"}]}


def ref(resource_id: Any) -> dict[str, str]:
    """A reference to a resource in the same bundle, by its ``urn:uuid`` full URL."""
    return {"reference": f"urn:uuid:{resource_id}"}


def text_only(text: str) -> dict[str, str]:
    """A concept no code system names exactly: its text, and no invented code."""
    return {"text": text}


def score(value: float | int) -> dict[str, Any]:
    """A score on a 0-10 or questionnaire scale, in UCUM's unitless ``{score}``."""
    return {"value": value, "unit": "score", "system": UCUM, "code": "{score}"}


def minutes(value: int) -> dict[str, Any]:
    """A duration in UCUM minutes."""
    return {"value": value, "unit": "min", "system": UCUM, "code": "min"}


def instant(value: datetime) -> str:
    """An instant as FHIR's dateTime (aware, ISO 8601)."""
    return value.isoformat()


def derived_id(source: uuid.UUID, kind: str) -> uuid.UUID:
    """A stable id for a second resource made from one stored row (a flag's ``Flag`` beside
    its ``DetectedIssue``): full URLs in a bundle must be unique."""
    return uuid.uuid5(source, kind)


def built(model: type[Resource], **fields: Any) -> Built:
    """The resource ``fields`` describe (``None`` ones left out), validated by its R4B model,
    which raises on anything invalid (a wrong type, a missing element, an unknown one).

    What is written is this validated object itself, not the model's own serialization: the
    model's is three times slower, and for these values (text, numbers, ISO instants) the same.
    """
    body = {"resourceType": model.get_resource_type()}
    body.update((name, value) for name, value in fields.items() if value is not None)
    model.model_validate(body)
    return body
