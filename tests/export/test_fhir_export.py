"""Issue 24 items 2 and 3: the FHIR export of the demo patient Ayşe is a FHIR R4 Bundle whose
every resource validates with fhir.resources' R4B models, with real codes and every record."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation
from flask import Flask
from flask.testing import FlaskClient
from pydantic import ValidationError

from server.extensions import db
from server.flags.models import Flag
from server.measures.models import MeasureResponse
from server.programmes.models import ProgrammeRevision
from server.tracking.models import PainRating
from server.tracking.store import MODELS
from tests.export.conftest import Demo

PAIN_NRS = "72514-3"


def fhir_export(client: FlaskClient, headers: dict[str, str], path: str) -> dict[str, Any]:
    answer = client.get(path, query_string={"format": "fhir"}, headers=headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    assert answer.content_type == "application/fhir+json"
    assert answer.is_streamed
    return answer.get_json(force=True)


def validate_each(bundle: dict[str, Any]) -> dict[str, list[Any]]:
    """Parse the bundle, then each resource with its own R4B model; by resource type."""
    Bundle.model_validate(bundle)
    by_type: dict[str, list[Any]] = {}
    for entry in bundle["entry"]:
        resource = entry["resource"]
        model = get_fhir_model_class(resource["resourceType"])
        parsed = model.model_validate(resource)
        assert entry["fullUrl"] == f"urn:uuid:{parsed.id}"
        by_type.setdefault(resource["resourceType"], []).append(parsed)
    return by_type


def references(value: Any) -> set[str]:
    """Every ``reference`` inside ``value``."""
    if isinstance(value, dict):
        found = {value["reference"]} if isinstance(value.get("reference"), str) else set()
        return found.union(*(references(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(references(v) for v in value))
    return set()


def test_ayses_fhir_export_validates_resource_by_resource_and_holds_every_record(
    app: Flask, client: FlaskClient, demo: Demo
) -> None:
    bundle = fhir_export(client, demo.therapist.headers, f"/api/v1/patients/{demo.ayse.id}/export")
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "collection"
    by_type = validate_each(bundle)

    full_urls = [entry["fullUrl"] for entry in bundle["entry"]]
    assert len(full_urls) == len(set(full_urls))
    assert references(bundle["entry"]) <= set(full_urls), "a reference leaves the bundle"
    (patient,) = by_type["Patient"]
    assert patient.id == str(demo.ayse.id)
    assert patient.name[0].text == "Ayşe Demo"

    with app.app_context():
        record_ids = {
            str(record_id)
            for model in MODELS.values()
            for record_id in db.session.scalars(
                sa.select(model.id).where(model.patient_id == demo.ayse.id)
            )
        }
        pain = {
            str(r.id): r.score
            for r in db.session.scalars(
                sa.select(PainRating).where(PainRating.patient_id == demo.ayse.id)
            )
        }
        revisions = db.session.scalar(
            sa.select(sa.func.count()).where(ProgrammeRevision.patient_id == demo.ayse.id)
        )
        responses = db.session.scalar(
            sa.select(sa.func.count()).where(MeasureResponse.patient_id == demo.ayse.id)
        )
        flags = db.session.scalar(sa.select(sa.func.count()).where(Flag.patient_id == demo.ayse.id))
    exported = {r.id for kind in ("Observation", "Procedure") for r in by_type[kind]}
    assert record_ids
    assert exported == record_ids
    assert len(by_type["CarePlan"]) == revisions == 2
    assert len(by_type["QuestionnaireResponse"]) == responses == 3  # the demo's 2 NDI, 1 GROC
    assert len(by_type.get("DetectedIssue", [])) == flags

    observations = {o.id: o for o in by_type["Observation"]}
    assert pain
    assert set(pain) <= set(observations)
    for record_id, score in pain.items():
        observation = observations[record_id]
        (coding,) = observation.code.coding
        assert (coding.system, coding.code) == ("http://loinc.org", PAIN_NRS)
        assert observation.valueQuantity.value == score
        assert observation.valueQuantity.system == "http://unitsofmeasure.org"
        assert observation.effectiveDateTime is not None
        assert observation.note
    active = [plan for plan in by_type["CarePlan"] if plan.status == "active"]
    assert len(active) == 1
    assert active[0].activity
    assert active[0].replaces
    detail = active[0].activity[0].detail
    assert detail.code.text
    assert detail.scheduledTiming.repeat.timeOfDay
    assert detail.quantity

    assert_codes_come_from_known_systems(bundle)
    assert_the_check_fails_on_a_broken_resource(bundle)
    assert_the_patient_gets_the_same_bundle(client, demo, bundle)


def code_systems(bundle: dict[str, Any]) -> set[str]:
    """Every code system a ``{system, code}`` inside the bundle's entries names."""
    systems = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if "system" in value and "code" in value:
                systems.add(value["system"])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(bundle["entry"])
    return systems


def assert_codes_come_from_known_systems(bundle: dict[str, Any]) -> None:
    systems = code_systems(bundle)
    assert systems <= {
        "http://loinc.org",
        "http://snomed.info/sct",
        "http://unitsofmeasure.org",
        "urn:ietf:bcp:47",
        "http://terminology.hl7.org/CodeSystem/observation-category",
        "http://terminology.hl7.org/CodeSystem/flag-category",
    }
    assert "http://loinc.org" in systems
    assert "http://snomed.info/sct" in systems


def assert_the_check_fails_on_a_broken_resource(bundle: dict[str, Any]) -> None:
    """Control: the validation the tests rely on refuses an invalid resource."""
    pain = next(
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Observation"
        and e["resource"]["code"].get("coding", [{}])[0].get("code") == PAIN_NRS
    )
    Observation.model_validate(pain)
    for breaking in (
        lambda r: r["valueQuantity"].update(value="three"),
        lambda r: r.pop("status"),
        lambda r: r.update(effectiveDateTime="yesterday"),
    ):
        broken = copy.deepcopy(pain)
        breaking(broken)
        with pytest.raises(ValidationError):
            Observation.model_validate(broken)
    broken_bundle = copy.deepcopy(bundle)
    broken_bundle["entry"][0]["resource"]["birthDate"] = "nineteen eighty-eight"
    with pytest.raises(ValidationError):
        validate_each(broken_bundle)


def assert_the_patient_gets_the_same_bundle(
    client: FlaskClient, demo: Demo, theirs: dict[str, Any]
) -> None:
    mine = fhir_export(client, demo.ayse.headers, "/api/v1/me/export")
    assert [e["fullUrl"] for e in mine["entry"]] == [e["fullUrl"] for e in theirs["entry"]]
    patients = [e for e in mine["entry"] if e["resource"]["resourceType"] == "Patient"]
    assert [p["resource"]["id"] for p in patients] == [str(demo.ayse.id)]
    assert uuid.UUID(mine["id"]) != uuid.UUID(theirs["id"])
