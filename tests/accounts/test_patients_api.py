"""The therapist's patients API: create, list with summary, read, update, reassign."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from server.clock import utcnow
from tests.accounts.helpers import (
    add_headache,
    add_pain_rating,
    add_patients_fast,
    add_session_log,
)
from tests.factories import UserHandle

NEW_PATIENT = {
    "name": "Ayşe Yılmaz",
    "email": "Ayse@Mail.example",
    "timezone": "Europe/Istanbul",
    "language": "tr",
    "birth_year": 1980,
}


def test_create_assigns_the_calling_therapist_by_default(
    client: FlaskClient, make_staff: Callable[..., UserHandle]
) -> None:
    therapist = make_staff()
    response = client.post("/api/v1/patients", json=NEW_PATIENT, headers=therapist.headers)
    assert response.status_code == 201
    body = response.json
    assert body["therapist_id"] == str(therapist.id)
    assert body["email"] == "ayse@mail.example"
    assert body["activated"] is False
    assert body["open_flags"] == {"urgent": 0, "high": 0, "normal": 0, "low": 0, "info": 0}
    assert body["adherence_7d"] is None
    assert body["pain_7d_mean"] is None
    assert body["preferences"]["working_hours"] == {
        "start": "09:00",
        "end": "18:00",
        "days": [1, 2, 3, 4, 5],
    }
    assert body["preferences"]["quiet_hours"] == {"start": "22:00", "end": "07:00"}
    # The Location names the new patient, and reads back the same body.
    location = response.headers["Location"]
    assert location == f"/api/v1/patients/{body['id']}"
    assert client.get(location, headers=therapist.headers).json == body


def test_create_for_a_colleague_must_stay_in_the_clinic(
    client: FlaskClient,
    make_clinic: Callable[..., Any],
    make_staff: Callable[..., UserHandle],
) -> None:
    clinic = make_clinic()
    therapist = make_staff(clinic)
    colleague = make_staff(clinic)
    stranger = make_staff()
    ok = client.post(
        "/api/v1/patients",
        json={**NEW_PATIENT, "therapist_id": str(colleague.id)},
        headers=therapist.headers,
    )
    assert ok.status_code == 201
    assert ok.json["therapist_id"] == str(colleague.id)
    refused = client.post(
        "/api/v1/patients",
        json={**NEW_PATIENT, "email": "x@mail.example", "therapist_id": str(stranger.id)},
        headers=therapist.headers,
    )
    assert refused.status_code == 422
    assert "therapist_id" in refused.json["errors"]


INVALID_FIELDS = [
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"timezone": "../etc/passwd"}, "timezone"),
    ({"language": "de"}, "language"),
    ({"birth_year": 1800}, "birth_year"),
    ({"birth_year": 3000}, "birth_year"),
    ({"email": "not-an-email"}, "email"),
    ({"name": ""}, "name"),
]


def test_create_validates_fields(
    client: FlaskClient, make_staff: Callable[..., UserHandle]
) -> None:
    therapist = make_staff()
    for change, field in INVALID_FIELDS:
        response = client.post(
            "/api/v1/patients", json={**NEW_PATIENT, **change}, headers=therapist.headers
        )
        assert response.status_code == 422, change
        assert list(response.json["errors"]) == [field], change


def test_duplicate_email_is_409(client: FlaskClient, make_staff: Callable[..., UserHandle]) -> None:
    therapist = make_staff()
    first = client.post("/api/v1/patients", json=NEW_PATIENT, headers=therapist.headers)
    assert first.status_code == 201
    again = {**NEW_PATIENT, "email": NEW_PATIENT["email"].upper()}
    response = client.post("/api/v1/patients", json=again, headers=therapist.headers)
    assert response.status_code == 409
    assert response.content_type == "application/problem+json"


def test_list_is_paginated_by_name_and_limited_to_the_clinic(
    app: Flask, client: FlaskClient, make_staff: Callable[..., UserHandle]
) -> None:
    therapist = make_staff()
    ids = add_patients_fast(app, therapist, 5)
    add_patients_fast(app, make_staff(), 3)
    first = client.get("/api/v1/patients?limit=3", headers=therapist.headers)
    assert first.status_code == 200
    assert [p["name"] for p in first.json["items"]] == ["Bulk 000", "Bulk 001", "Bulk 002"]
    cursor = first.json["next_cursor"]
    rest = client.get(f"/api/v1/patients?limit=3&cursor={cursor}", headers=therapist.headers)
    assert [p["name"] for p in rest.json["items"]] == ["Bulk 003", "Bulk 004"]
    assert rest.json["next_cursor"] is None
    seen = {p["id"] for p in first.json["items"] + rest.json["items"]}
    assert seen == {str(i) for i in ids}


def test_list_can_be_filtered_by_therapist(
    app: Flask,
    client: FlaskClient,
    make_clinic: Callable[..., Any],
    make_staff: Callable[..., UserHandle],
) -> None:
    clinic = make_clinic()
    mine, theirs = make_staff(clinic), make_staff(clinic)
    add_patients_fast(app, mine, 2)
    add_patients_fast(app, theirs, 1)
    everyone = client.get("/api/v1/patients", headers=mine.headers).json["items"]
    own = client.get(f"/api/v1/patients?therapist_id={mine.id}", headers=mine.headers)
    assert len(everyone) == 3
    assert len(own.json["items"]) == 2


def test_bad_list_arguments_are_422(
    client: FlaskClient, make_staff: Callable[..., UserHandle]
) -> None:
    therapist = make_staff()
    for query in ("limit=0", "limit=201", "limit=x", "cursor=%%%", "therapist_id=nope"):
        response = client.get(f"/api/v1/patients?{query}", headers=therapist.headers)
        assert response.status_code == 422, query


def test_summary_pain_is_the_mean_of_daily_maxima_over_7_local_days(
    app: Flask,
    client: FlaskClient,
    make_patient: Callable[..., UserHandle],
) -> None:
    patient = make_patient(timezone="Pacific/Auckland")
    now = utcnow()
    # Day 0 (today): ratings 3 and 6, a headache of 7 → 7. Day 2: session pain 4/5 → 5.
    add_pain_rating(app, patient, 3, now - timedelta(minutes=5))
    add_pain_rating(app, patient, 6, now - timedelta(minutes=4))
    add_headache(app, patient, 7, now - timedelta(minutes=3))
    add_session_log(app, patient, now - timedelta(days=2), pain_during=4, pain_after=5)
    # Day 8: outside the window.
    add_pain_rating(app, patient, 10, now - timedelta(days=8))
    therapist = {"Authorization": _token_of(app, patient.therapist_id)}
    item = client.get("/api/v1/patients", headers=therapist).json["items"][0]
    assert item["pain_7d_mean"] == 6.0
    last = datetime.fromisoformat(item["last_activity_at"])
    assert abs(last - (now - timedelta(minutes=3))) < timedelta(seconds=1)
    detail = client.get(f"/api/v1/patients/{patient.id}", headers=therapist).json
    assert detail["pain_7d_mean"] == 6.0
    assert detail["last_activity_at"] == item["last_activity_at"]


def _token_of(app: Flask, user_id: Any) -> str:
    from server.accounts.models import User
    from server.accounts.sessions import start_session
    from server.extensions import db

    with app.app_context():
        pair = start_session(db.session.get(User, user_id))
        db.session.commit()
        return f"Bearer {pair.access_token}"


def test_patch_updates_the_profile(
    client: FlaskClient, make_patient: Callable[..., UserHandle], app: Flask
) -> None:
    patient = make_patient()
    headers = {"Authorization": _token_of(app, patient.therapist_id)}
    change = {"name": "New Name", "timezone": "America/New_York", "language": "tr"}
    response = client.patch(f"/api/v1/patients/{patient.id}", json=change, headers=headers)
    assert response.status_code == 200
    assert {k: response.json[k] for k in change} == change
    cleared = client.patch(
        f"/api/v1/patients/{patient.id}", json={"birth_year": None}, headers=headers
    )
    assert cleared.json["birth_year"] is None


def test_only_a_clinic_admin_reassigns_a_patient(
    app: Flask,
    client: FlaskClient,
    make_clinic: Callable[..., Any],
    make_staff: Callable[..., UserHandle],
    make_patient: Callable[..., UserHandle],
) -> None:
    clinic = make_clinic()
    therapist, colleague = make_staff(clinic), make_staff(clinic)
    admin = make_staff(clinic, role="clinic_admin")
    patient = make_patient(therapist)
    url = f"/api/v1/patients/{patient.id}"
    move = {"therapist_id": str(colleague.id)}
    assert client.patch(url, json=move, headers=therapist.headers).status_code == 403
    same = {"therapist_id": str(therapist.id), "name": "Kept"}
    assert client.patch(url, json=same, headers=therapist.headers).status_code == 200
    moved = client.patch(url, json=move, headers=admin.headers)
    assert moved.status_code == 200
    assert moved.json["therapist_id"] == str(colleague.id)
    outsider = make_staff()
    bad = client.patch(url, json={"therapist_id": str(outsider.id)}, headers=admin.headers)
    assert bad.status_code == 422


def test_other_clinics_and_unknown_ids_are_both_404(
    client: FlaskClient,
    make_staff: Callable[..., UserHandle],
    make_patient: Callable[..., UserHandle],
) -> None:
    patient = make_patient()
    outsider = make_staff()
    mine = client.get(f"/api/v1/patients/{patient.id}", headers=outsider.headers)
    unknown = client.get(
        "/api/v1/patients/00000000-0000-4000-8000-000000000000", headers=outsider.headers
    )
    assert mine.status_code == unknown.status_code == 404
    assert mine.json == unknown.json
    patch = client.patch(
        f"/api/v1/patients/{patient.id}", json={"name": "x"}, headers=outsider.headers
    )
    assert patch.status_code == 404


def test_clinic_admin_creates_staff_and_therapists_cannot(
    client: FlaskClient, make_clinic: Callable[..., Any], make_staff: Callable[..., UserHandle]
) -> None:
    clinic = make_clinic()
    admin = make_staff(clinic, role="clinic_admin")
    therapist = make_staff(clinic)
    body = {"name": "New T", "email": "new.t@clinic.example", "password": "a-strong-passphrase"}
    refused = client.post("/api/v1/therapists", json=body, headers=therapist.headers)
    assert refused.status_code == 403
    created = client.post("/api/v1/therapists", json=body, headers=admin.headers)
    assert created.status_code == 201
    assert created.json["role"] == "therapist"
    assert "password" not in created.json
    assert client.post("/api/v1/therapists", json=body, headers=admin.headers).status_code == 409
    weak = client.post(
        "/api/v1/therapists",
        json={**body, "email": "weak@clinic.example", "password": "short"},
        headers=admin.headers,
    )
    assert weak.status_code == 422
    assert weak.json["errors"]["password"]
    listed = client.get("/api/v1/therapists", headers=therapist.headers).json["items"]
    assert {t["email"] for t in listed} == {admin.email, therapist.email, "new.t@clinic.example"}
    login = client.post(
        "/api/v1/auth/login", json={"email": body["email"], "password": body["password"]}
    )
    assert login.status_code == 200
    assert login.json["user"]["clinic_id"] == str(clinic.id)


def test_created_at_and_timestamps_carry_an_offset(
    client: FlaskClient, make_staff: Callable[..., UserHandle]
) -> None:
    therapist = make_staff()
    body = client.post("/api/v1/patients", json=NEW_PATIENT, headers=therapist.headers).json
    assert datetime.fromisoformat(body["created_at"]).tzinfo is not None
    assert datetime.fromisoformat(body["created_at"]) <= datetime.now(UTC)
