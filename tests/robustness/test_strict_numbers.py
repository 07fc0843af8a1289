"""Issue 20 item 4: never a 500 for bad input. An integer literal of more than 4,300 digits is
a malformed body (400), integer fields take JSON integers only (422 for a float, never
truncated), and a PATCH without a body is 422."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.factories import ProgrammeHandle, UserHandle

HUGE = "9" * 5000  # Python's int() refuses more than 4,300 digits
PROBLEM = "application/problem+json"


def _raw(client: FlaskClient, method: str, path: str, body: str, headers=None):
    return client.open(
        path,
        method=method,
        data=body,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def test_a_huge_integer_literal_is_a_400_problem_everywhere(
    client: FlaskClient, make_patient: Callable[..., UserHandle]
) -> None:
    patient = make_patient()
    therapist_headers = _therapist_headers(client, patient)
    now = datetime.now(UTC).isoformat()
    attempts = [
        ("POST", "/api/v1/auth/login", f'{{"email": "a@b.example", "password": {HUGE}}}', None),
        ("POST", "/api/v1/auth/activate", f'{{"invite_code": {HUGE}, "password": "x"}}', None),
        (
            "POST",
            "/api/v1/me/pain-ratings",
            f'{{"id": "{uuid.uuid4()}", "recorded_at": "{now}", "score": {HUGE}, '
            '"context": "now"}',
            patient.headers,
        ),
        (
            "POST",
            "/api/v1/me/sync",
            f'{{"items": [{{"kind": "pain_rating", "data": {{"score": {HUGE}}}}}]}}',
            patient.headers,
        ),
        ("PATCH", "/api/v1/me/preferences", f'{{"language": {HUGE}}}', patient.headers),
        ("PATCH", f"/api/v1/patients/{patient.id}", f'{{"birth_year": {HUGE}}}', therapist_headers),
    ]
    for method, path, body, headers in attempts:
        response = _raw(client, method, path, body, headers)
        assert response.status_code == 400, (path, response.status_code)
        assert response.content_type == PROBLEM
        assert response.json["errors"], path


def _revision_body(**changes: Any) -> dict[str, Any]:
    return {"base_revision": 1, "reason": "check", **changes}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"base_revision": 1.5}, "base_revision"),
        ({"base_revision": "1"}, "base_revision"),
        ({"posture_breaks": {"enabled": True, "interval_minutes": 40.5}}, "posture_breaks"),
        (
            {"schedule": {"days": [1, 2.589e-42], "slots": [{"slot": "am", "time": "08:00"}]}},
            "schedule",
        ),
    ],
    ids=["float", "string", "nested float", "tiny float in a list"],
)
def test_integer_fields_take_json_integers_only(
    client: FlaskClient,
    make_patient: Callable[..., UserHandle],
    make_programme: Callable[..., ProgrammeHandle],
    changes: dict[str, Any],
    field: str,
) -> None:
    patient = make_patient()
    programme = make_programme(patient, start_date=date(2026, 1, 5))
    therapist_headers = _therapist_headers(client, patient)
    response = client.post(
        f"/api/v1/programmes/{programme.id}/revisions",
        json=_revision_body(**changes),
        headers=therapist_headers,
    )
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]


def test_a_whole_number_still_passes_and_query_numbers_stay_text(
    client: FlaskClient,
    make_patient: Callable[..., UserHandle],
    make_programme: Callable[..., ProgrammeHandle],
) -> None:
    patient = make_patient()
    programme = make_programme(patient, start_date=date(2026, 1, 5))
    headers = _therapist_headers(client, patient)
    ok = client.post(
        f"/api/v1/programmes/{programme.id}/revisions",
        json=_revision_body(posture_breaks={"enabled": True, "interval_minutes": 40}),
        headers=headers,
    )
    assert ok.status_code == 201, ok.json
    # 41.0 and 4.2e1 are whole numbers, integers by JSON Schema: taken as 41 and 42.
    current = ok.json["current_revision"]
    for literal, expected in (("41.0", 41), ("4.2e1", 42)):
        body = (
            f'{{"base_revision": {current}, "reason": "check", '
            f'"posture_breaks": {{"enabled": true, "interval_minutes": {literal}}}}}'
        )
        whole = _raw(client, "POST", f"/api/v1/programmes/{programme.id}/revisions", body, headers)
        assert whole.status_code == 201, whole.json
        assert whole.json["revision"]["posture_breaks"]["interval_minutes"] == expected
        current = whole.json["current_revision"]
    assert client.get("/api/v1/patients?limit=5", headers=headers).status_code == 200


def _therapist_headers(client: FlaskClient, patient: UserHandle) -> dict[str, str]:
    from server.accounts.models import User
    from server.extensions import db
    from tests.factories import DEFAULT_PASSWORD

    with client.application.app_context():
        email = db.session.get_one(User, patient.therapist_id).email
    tokens = client.post(
        "/api/v1/auth/login", json={"email": email, "password": DEFAULT_PASSWORD}
    ).json
    return {"Authorization": f"Bearer {tokens['access_token']}"}


@pytest.mark.parametrize("content_type", [None, "application/json"])
def test_a_patch_without_a_body_is_422(
    client: FlaskClient,
    make_patient: Callable[..., UserHandle],
    make_staff: Callable[..., UserHandle],
    content_type: str | None,
) -> None:
    patient = make_patient()
    admin = make_staff(role="clinic_admin")
    headers = {} if content_type is None else {"Content-Type": content_type}
    for path, who in (
        ("/api/v1/me/preferences", patient),
        (f"/api/v1/patients/{patient.id}", _colleague(client, patient)),
        (f"/api/v1/therapists/{admin.id}", admin),
    ):
        response = client.patch(path, headers={**who.headers, **headers})
        assert response.status_code == 422, (path, response.status_code)
        assert response.content_type == PROBLEM
        assert "_body" in response.json["errors"]


def _colleague(client: FlaskClient, patient: UserHandle) -> Any:
    class Who:
        headers = _therapist_headers(client, patient)

    return Who
