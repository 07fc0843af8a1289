"""The audit trail: every write and read of patient data, queryable by clinic admins only."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from server.audit.models import AuditEvent
from server.extensions import db
from tests.accounts.helpers import STRONG_PASSWORD, add_patients_fast, bearer, login
from tests.factories import ClinicHandle, UserHandle

NEW_PATIENT = {
    "name": "Zeynep Secretname",
    "email": "zeynep.secret@mail.example",
    "timezone": "Europe/Istanbul",
    "language": "tr",
}


@pytest.fixture
def clinic_staff(
    make_clinic: Callable[..., ClinicHandle], make_staff: Callable[..., UserHandle]
) -> tuple[UserHandle, UserHandle]:
    clinic = make_clinic()
    return make_staff(clinic, role="clinic_admin"), make_staff(clinic)


def _events(client: FlaskClient, admin: UserHandle, query: str = "") -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/audit?{query}", headers=admin.headers)
    assert response.status_code == 200
    return response.json["items"]


def test_writes_and_reads_of_a_patient_are_recorded(
    client: FlaskClient, clinic_staff: tuple[UserHandle, UserHandle]
) -> None:
    admin, therapist = clinic_staff
    created = client.post("/api/v1/patients", json=NEW_PATIENT, headers=therapist.headers).json
    patient_id = created["id"]
    client.get(f"/api/v1/patients/{patient_id}", headers=therapist.headers)
    client.patch(f"/api/v1/patients/{patient_id}", json={"name": "B"}, headers=therapist.headers)
    client.post(f"/api/v1/patients/{patient_id}/invitations", headers=therapist.headers)
    client.get("/api/v1/patients", headers=therapist.headers)
    events = _events(client, admin, f"patient_id={patient_id}")
    assert [e["action"] for e in events] == [
        "patient.list",
        "invitation.create",
        "patient.update",
        "patient.read",
        "patient.create",
    ]
    assert {e["actor_id"] for e in events} == {str(therapist.id)}
    assert {e["actor_role"] for e in events} == {"therapist"}
    listing = [e for e in _events(client, admin) if e["object_type"] == "patient_list"]
    assert len(listing) == 1
    assert listing[0]["patient_id"] is None


def test_a_list_records_one_event_per_listed_patient(
    app: Flask, client: FlaskClient, clinic_staff: tuple[UserHandle, UserHandle]
) -> None:
    admin, therapist = clinic_staff
    ids = add_patients_fast(app, therapist, 3)
    client.get("/api/v1/patients?limit=2", headers=therapist.headers)
    summaries = [e for e in _events(client, admin) if e["object_type"] == "patient_summary"]
    assert len(summaries) == 2
    assert {e["patient_id"] for e in summaries} <= {str(i) for i in ids}


def test_audit_is_for_clinic_admins_of_the_same_clinic_only(
    client: FlaskClient,
    clinic_staff: tuple[UserHandle, UserHandle],
    make_staff: Callable[..., UserHandle],
    make_patient: Callable[..., UserHandle],
) -> None:
    admin, therapist = clinic_staff
    client.post("/api/v1/patients", json=NEW_PATIENT, headers=therapist.headers)
    assert _events(client, admin)
    other_admin = make_staff(role="clinic_admin")
    assert _events(client, other_admin) == []
    assert client.get("/api/v1/audit", headers=therapist.headers).status_code == 403
    patient = make_patient(therapist)
    assert client.get("/api/v1/audit", headers=patient.headers).status_code == 403
    assert client.get("/api/v1/audit").status_code == 401


def test_audit_is_paginated_newest_first(
    client: FlaskClient, clinic_staff: tuple[UserHandle, UserHandle]
) -> None:
    admin, therapist = clinic_staff
    patient_id = client.post("/api/v1/patients", json=NEW_PATIENT, headers=therapist.headers).json[
        "id"
    ]
    for n in range(4):
        client.patch(
            f"/api/v1/patients/{patient_id}", json={"name": f"N{n}"}, headers=therapist.headers
        )
    first = client.get("/api/v1/audit?limit=3", headers=admin.headers).json
    rest = client.get(f"/api/v1/audit?limit=3&cursor={first['next_cursor']}", headers=admin.headers)
    events = first["items"] + rest.json["items"]
    times = [e["at"] for e in events]
    assert times == sorted(times, reverse=True)
    assert len({e["id"] for e in events}) == len(events)
    assert [e["action"] for e in events].count("patient.update") == 4


def test_no_secret_reaches_audit_rows_or_logs(
    app: Flask,
    client: FlaskClient,
    clinic_staff: tuple[UserHandle, UserHandle],
    caplog: pytest.LogCaptureFixture,
) -> None:
    admin, therapist = clinic_staff
    caplog.set_level(logging.DEBUG)
    secrets = [therapist.password, therapist.email, admin.email, STRONG_PASSWORD]
    secrets += [NEW_PATIENT["email"], NEW_PATIENT["name"], "Secretname"]
    tokens = login(client, therapist.email, therapist.password).json
    secrets += [tokens["access_token"], tokens["refresh_token"]]
    login(client, therapist.email, "wrong-password-attempt")
    secrets.append("wrong-password-attempt")
    headers = bearer(tokens["access_token"])
    patient = client.post("/api/v1/patients", json=NEW_PATIENT, headers=headers).json
    code = client.post(f"/api/v1/patients/{patient['id']}/invitations", headers=headers).json[
        "code"
    ]
    activated = client.post(
        "/api/v1/auth/activate", json={"invite_code": code, "password": STRONG_PASSWORD}
    ).json
    secrets += [code, activated["access_token"], activated["refresh_token"]]
    client.post("/api/v1/auth/refresh", headers=bearer(tokens["refresh_token"]))
    for _ in range(6):  # into the rate limit, which logs its (digested) key
        login(client, NEW_PATIENT["email"], "another-wrong-one")

    with app.app_context():
        rows = db.session.execute(sa.select(AuditEvent)).scalars().all()
        actions = {row.action for row in rows}
        assert actions >= {"auth.login", "patient.create", "invitation.activate"}
        stored = " ".join(
            str(getattr(row, column.key)) for row in rows for column in AuditEvent.__table__.c
        )
    logged = " ".join(
        f"{record.getMessage()} {record.__dict__}" for record in caplog.records
    ).lower()
    assert caplog.records, "expected some log records (access log, rate limiter)"
    for secret in secrets:
        assert secret.lower() not in stored.lower()
        assert secret.lower() not in logged
