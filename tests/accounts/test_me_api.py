"""The patient's own profile and preferences (``/me``)."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient

from tests.factories import UserHandle


def test_me_returns_profile_clinic_and_preferences(
    client: FlaskClient, make_patient: Callable[..., UserHandle]
) -> None:
    patient = make_patient(timezone="Europe/London")
    response = client.get("/api/v1/me", headers=patient.headers)
    assert response.status_code == 200
    body = response.json
    assert body["id"] == str(patient.id)
    assert body["therapist_id"] == str(patient.therapist_id)
    assert body["clinic"]["emergency_number"] == "112"
    assert body["preferences"] == {
        "timezone": "Europe/London",
        "language": "en",
        "reminders_enabled": True,
        "quiet_hours": {"start": "22:00", "end": "07:00"},
        "working_hours": {"start": "09:00", "end": "18:00", "days": [1, 2, 3, 4, 5]},
    }


def test_staff_cannot_use_me(client: FlaskClient, make_staff: Callable[..., UserHandle]) -> None:
    assert client.get("/api/v1/me", headers=make_staff().headers).status_code == 403


def test_preferences_are_updated_partially(
    client: FlaskClient, make_patient: Callable[..., UserHandle]
) -> None:
    patient = make_patient()
    change = {
        "timezone": "Asia/Tokyo",
        "language": "tr",
        "reminders_enabled": False,
        "quiet_hours": {"start": "23:30", "end": "06:00"},
        "working_hours": {"start": "08:00", "end": "16:30", "days": [5, 1, 3, 1]},
    }
    response = client.patch("/api/v1/me/preferences", json=change, headers=patient.headers)
    assert response.status_code == 200
    prefs = response.json["preferences"]
    assert prefs["timezone"] == "Asia/Tokyo"
    assert prefs["language"] == "tr"
    assert prefs["reminders_enabled"] is False
    assert prefs["quiet_hours"] == {"start": "23:30", "end": "06:00"}
    assert prefs["working_hours"] == {"start": "08:00", "end": "16:30", "days": [1, 3, 5]}
    only_hours = {"working_hours": {"start": "10:00", "end": "12:00"}}
    again = client.patch("/api/v1/me/preferences", json=only_hours, headers=patient.headers)
    assert again.json["preferences"]["working_hours"]["days"] == [1, 3, 5]
    assert again.json["preferences"]["timezone"] == "Asia/Tokyo"


INVALID_PREFERENCES = [
    ({"timezone": "Nowhere/City"}, "timezone"),
    ({"language": "fr"}, "language"),
    ({"reminders_enabled": "yes"}, "reminders_enabled"),
    ({"reminders_enabled": 1}, "reminders_enabled"),
    ({"quiet_hours": {"start": "22:00"}}, "quiet_hours"),
    ({"quiet_hours": {"start": "22:00", "end": "22:00"}}, "quiet_hours"),
    ({"quiet_hours": {"start": "24:00", "end": "07:00"}}, "quiet_hours"),
    ({"working_hours": {"start": "9:00", "end": "17:00"}}, "working_hours"),
    ({"working_hours": {"start": "18:00", "end": "09:00"}}, "working_hours"),
    ({"working_hours": {"start": "09:00", "end": "17:00", "days": [0]}}, "working_hours"),
    ({"working_hours": {"start": "09:00", "end": "17:00", "days": [8]}}, "working_hours"),
    ({"working_hours": {"start": "09:00", "end": "17:00", "days": ["1"]}}, "working_hours"),
    ({"working_hours": {"start": "09:00", "end": "17:00", "extra": 1}}, "working_hours"),
    ({"name": "not a preference"}, "name"),
]


def test_invalid_preferences_are_422_naming_the_field(
    client: FlaskClient, make_patient: Callable[..., UserHandle]
) -> None:
    patient = make_patient()
    for change, field in INVALID_PREFERENCES:
        response = client.patch("/api/v1/me/preferences", json=change, headers=patient.headers)
        assert response.status_code == 422, change
        assert response.content_type == "application/problem+json"
        assert list(response.json["errors"]) == [field], change
    unchanged = client.get("/api/v1/me", headers=patient.headers).json["preferences"]
    assert unchanged["timezone"] == "Europe/Istanbul"
