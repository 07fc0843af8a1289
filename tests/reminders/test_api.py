"""The patient's reminder API on both databases: inbox, snooze and push devices."""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa

from server.extensions import db
from server.reminders.models import Device
from tests.reminders.conftest import RecordingProvider, notifications_of, utc
from tests.reminders.test_dispatch import BEFORE, tick

PROBLEM = "application/problem+json"


def _devices(app, patient_id) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(Device.platform, Device.token).where(Device.patient_id == patient_id)
        )
        return [tuple(r) for r in rows]


def test_register_a_device_is_idempotent_by_token(app, client, make_patient) -> None:
    patient = make_patient()
    body = {"platform": "android", "token": "fcm-token-1"}
    first = client.post("/api/v1/me/devices", json=body, headers=patient.headers)
    assert first.status_code == 201
    assert set(first.json) == {"id", "platform", "created_at", "last_seen_at"}
    again = client.post("/api/v1/me/devices", json=body, headers=patient.headers)
    assert again.status_code == 200
    assert again.json["id"] == first.json["id"]
    assert _devices(app, patient.id) == [("android", "fcm-token-1")]


def test_a_token_moves_to_whoever_registers_it_last(app, client, make_patient) -> None:
    """Once the first owner has signed out on the install (issue 20: never taken from an owner
    still signed in, see test_devices.py)."""
    first, second = make_patient(), make_patient()
    body = {"platform": "ios", "token": "shared-install"}
    assert client.post("/api/v1/me/devices", json=body, headers=first.headers).status_code == 201
    assert client.post("/api/v1/auth/logout", headers=first.headers).status_code == 204
    moved = client.post("/api/v1/me/devices", json=body, headers=second.headers)
    assert moved.status_code == 201
    assert _devices(app, first.id) == []
    assert _devices(app, second.id) == [("ios", "shared-install")]


def test_device_input_is_validated(client, make_patient) -> None:
    patient = make_patient()
    for body, field in [
        ({"platform": "symbian", "token": "x"}, "platform"),
        ({"platform": "web", "token": ""}, "token"),
        ({"platform": "web", "token": "x" * 1025}, "token"),
        ({"platform": "web"}, "token"),
        ({"platform": "web", "token": "x", "extra": 1}, "extra"),
    ]:
        response = client.post("/api/v1/me/devices", json=body, headers=patient.headers)
        assert response.status_code == 422, body
        assert response.content_type == PROBLEM
        assert field in response.json["errors"]


def test_delete_a_device(app, client, make_patient) -> None:
    patient, other = make_patient(), make_patient()
    created = client.post(
        "/api/v1/me/devices", json={"platform": "web", "token": "t-1"}, headers=patient.headers
    )
    url = f"/api/v1/me/devices/{created.json['id']}"
    assert client.delete(url, headers=other.headers).status_code == 404
    response = client.delete(url, headers=patient.headers)
    assert response.status_code == 204
    assert response.data == b""
    assert _devices(app, patient.id) == []
    assert client.delete(url, headers=patient.headers).status_code == 404


def test_staff_cannot_use_patient_endpoints(client, make_staff) -> None:
    therapist = make_staff()
    assert client.get("/api/v1/me/notifications", headers=therapist.headers).status_code == 403
    response = client.post(
        "/api/v1/me/devices", json={"platform": "web", "token": "t"}, headers=therapist.headers
    )
    assert response.status_code == 403
    assert client.get("/api/v1/me/notifications").status_code == 401


def _make_inbox(app, reminder_patient):
    patient = reminder_patient(now=BEFORE, language="en")
    provider = RecordingProvider()
    for day in range(1, 4):
        tick(app, utc(2026, 6, day, 8, 0, 10), provider)
        tick(app, utc(2026, 6, day, 19, 0, 10), provider)
    return patient


def test_inbox_is_newest_first_paginated_and_filtered(app, client, reminder_patient) -> None:
    patient = _make_inbox(app, reminder_patient)
    seen, cursor = [], None
    while True:
        query = {"limit": 4} | ({"cursor": cursor} if cursor else {})
        page = client.get("/api/v1/me/notifications", query_string=query, headers=patient.headers)
        assert page.status_code == 200
        seen += page.json["items"]
        cursor = page.json["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 6
    instants = [item["occurrence_at"] for item in seen]
    assert instants == sorted(instants, reverse=True)
    assert seen[0]["message"] == "Time for your evening exercises."
    assert seen[0]["status"] == "sent"
    assert seen[0]["read"] is False
    since = client.get(
        "/api/v1/me/notifications",
        query_string={"since": "2026-06-03T00:00:00+00:00"},
        headers=patient.headers,
    )
    assert [i["slot"] for i in since.json["items"]] == ["evening", "morning"]
    other = reminder_patient(now=BEFORE)
    assert client.get("/api/v1/me/notifications", headers=other.headers).json["items"] == []


def test_inbox_rejects_a_naive_since_and_a_bad_cursor(client, make_patient) -> None:
    patient = make_patient()
    for query in ({"since": "2026-06-03T00:00:00"}, {"cursor": "%%%"}, {"limit": 500}):
        response = client.get(
            "/api/v1/me/notifications", query_string=query, headers=patient.headers
        )
        assert response.status_code == 422, query
        assert response.content_type == PROBLEM


def test_snooze_through_the_api(app, client, reminder_patient) -> None:
    patient = reminder_patient(now=BEFORE)
    provider = RecordingProvider()
    tick(app, utc(2026, 6, 1, 8, 0, 10), provider)
    [record] = notifications_of(app, patient.id)
    url = f"/api/v1/me/notifications/{record['id']}/snooze"
    assert client.post(url, json={"minutes": 15}, headers=patient.headers).status_code == 422
    assert client.post(url, json={"minutes": "10"}, headers=patient.headers).status_code == 422
    response = client.post(url, json={"minutes": 20}, headers=patient.headers)
    assert response.status_code == 200
    assert response.json["status"] == "snoozed"
    assert response.json["read"] is True
    other = reminder_patient(now=BEFORE)
    assert client.post(url, json={"minutes": 10}, headers=other.headers).status_code == 404
    missing = f"/api/v1/me/notifications/{uuid.uuid4()}/snooze"
    assert client.post(missing, json={"minutes": 10}, headers=patient.headers).status_code == 404
    # The snooze is relative to the real clock here; fire it from far enough ahead.
    snoozed_until = response.json["snoozed_until"]
    assert snoozed_until is not None


def test_mark_read(app, client, reminder_patient) -> None:
    patient = reminder_patient(now=BEFORE)
    tick(app, utc(2026, 6, 1, 8, 0, 10), RecordingProvider())
    [record] = notifications_of(app, patient.id)
    response = client.post(f"/api/v1/me/notifications/{record['id']}/read", headers=patient.headers)
    assert response.status_code == 200
    assert response.json["read"] is True
    read_at = response.json["read_at"]
    again = client.post(f"/api/v1/me/notifications/{record['id']}/read", headers=patient.headers)
    assert again.json["read_at"] == read_at


def test_inbox_hides_missed_occurrences(app, client, reminder_patient) -> None:
    patient = reminder_patient(now=BEFORE)
    tick(app, utc(2026, 6, 1, 8, 0, 10) + timedelta(hours=2), RecordingProvider())
    assert [r["status"] for r in notifications_of(app, patient.id)] == ["missed"]
    assert client.get("/api/v1/me/notifications", headers=patient.headers).json["items"] == []
