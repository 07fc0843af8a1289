"""The FHIR R4 export: a ``Bundle`` of type ``collection``, written one entry at a time.

Every resource is validated with its ``fhir.resources`` R4B model before it is written
(``codes.built``); R4B (4.3) defines ``Patient``, ``CarePlan``, ``Observation``, ``Procedure``,
``QuestionnaireResponse``, ``Flag``, ``DetectedIssue`` and ``Bundle`` as R4 (4.0.1) does, so
the output is R4. Each resource's id is the service's UUID of what it shows, its full URL
``urn:uuid:<id>``, and resources refer to each other by those URLs.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from server.accounts.models import Patient
from server.clock import utcnow
from server.export.fhir.clinical import clinical_resources
from server.export.fhir.codes import Built
from server.export.fhir.plans import care_plans, patient_resource
from server.export.fhir.records import record_resources

# The parts of the bundle, in order; each yields resources for one patient.
PARTS: tuple[Callable[[Patient], Iterator[Built]], ...] = (
    lambda patient: iter([patient_resource(patient)]),
    lambda patient: care_plans(patient, utcnow().date()),
    record_resources,
    clinical_resources,
)


def entry(resource: Built) -> str:
    """One bundle entry as JSON: the resource under its ``urn:uuid`` full URL."""
    body = json.dumps(resource, ensure_ascii=False, separators=(",", ":"))
    return f'{{"fullUrl":"urn:uuid:{resource["id"]}","resource":{body}}}'


def bundle(patient: Patient) -> Iterator[str]:
    """The bundle's JSON, in chunks: its header, then every entry of every part."""
    head: dict[str, Any] = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "type": "collection",
        "timestamp": utcnow().isoformat(),
    }
    yield json.dumps(head)[:-1] + ',"entry":['
    first = True
    for part in PARTS:
        for resource in part(patient):
            yield ("" if first else ",") + entry(resource)
            first = False
    yield "]}"
