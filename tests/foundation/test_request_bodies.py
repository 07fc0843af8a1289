"""Bad request bodies get the right 4xx problem+json, never a 500 (PRODUCT.md §2 conventions)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from server.config import ONE_MIB
from tests.factories import UserHandle

PROBLEM = "application/problem+json"
GOOD_PATIENT = {"name": "P", "email": "p@mail.example", "timezone": "UTC", "language": "en"}


@pytest.fixture(params=["login", "patients"])
def endpoint(request: pytest.FixtureRequest) -> tuple[str, dict[str, str], dict[str, Any]]:
    """(path, headers, a valid body) for each endpoint under test."""
    if request.param == "login":
        return "/api/v1/auth/login", {}, {"email": "a@b.example", "password": "whatever-pass"}
    make_staff: Callable[..., UserHandle] = request.getfixturevalue("make_staff")
    return "/api/v1/patients", make_staff().headers, GOOD_PATIENT


def _post(client: FlaskClient, endpoint: tuple, data: Any, content_type: str = "application/json"):
    path, headers, _ = endpoint
    return client.post(path, data=data, headers={**headers, "Content-Type": content_type})


def _assert_problem(response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == PROBLEM
    body = response.json
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == status
    return body


def test_malformed_json_is_400(client: FlaskClient, endpoint: tuple) -> None:
    for raw in ('{"email": ', "{'email': 'x'}", "not json", "\xff\xfe"):
        _assert_problem(_post(client, endpoint, raw.encode("latin-1")), 400)


WRONG_TYPES = {
    "/api/v1/auth/login": [("email", 12), ("password", ["x"]), ("email", None)],
    "/api/v1/patients": [
        ("name", 5),
        ("birth_year", "1980"),
        ("birth_year", 1980.5),
        ("language", None),
        ("therapist_id", "not-a-uuid"),
        ("email", {"a": 1}),
    ],
}


def test_wrong_types_are_422_naming_the_field(client: FlaskClient, endpoint: tuple) -> None:
    path, headers, valid = endpoint
    for field, value in WRONG_TYPES[path]:
        response = client.post(path, json={**valid, field: value}, headers=headers)
        assert list(_assert_problem(response, 422)["errors"]) == [field], (field, value)


def test_unknown_fields_are_422_naming_the_field(client: FlaskClient, endpoint: tuple) -> None:
    path, headers, valid = endpoint
    response = client.post(path, json={**valid, "is_admin": True}, headers=headers)
    assert _assert_problem(response, 422)["errors"] == {"is_admin": ["Unknown field."]}


def test_missing_required_fields_are_422(client: FlaskClient, endpoint: tuple) -> None:
    path, headers, valid = endpoint
    response = client.post(path, json={}, headers=headers)
    errors = _assert_problem(response, 422)["errors"]
    assert set(errors) == {k for k in valid if k not in ("birth_year", "therapist_id")}


def test_a_body_that_is_not_an_object_is_a_4xx_problem(
    client: FlaskClient, endpoint: tuple
) -> None:
    path, headers, _ = endpoint
    for body in ([], "a string", 42, None):
        response = client.post(path, json=body, headers=headers)
        assert response.status_code in (400, 422), body
        assert response.content_type == PROBLEM


def test_non_json_content_types_are_a_4xx_problem(client: FlaskClient, endpoint: tuple) -> None:
    for content_type, data in (
        ("text/plain", b'{"email": "a"}'),
        ("application/x-www-form-urlencoded", b"email=a"),
        ("multipart/form-data; boundary=x", b"--x--"),
    ):
        response = _post(client, endpoint, data, content_type)
        assert 400 <= response.status_code < 500, content_type
        assert response.content_type == PROBLEM


def test_bodies_over_one_mib_are_413(client: FlaskClient, endpoint: tuple) -> None:
    oversize = b'{"name": "' + b"a" * (ONE_MIB + 1) + b'"}'
    _assert_problem(_post(client, endpoint, oversize), 413)


def test_bad_bodies_are_checked_after_authentication(client: FlaskClient) -> None:
    """No token beats a bad body: 401, not 400/422 (the body is never parsed)."""
    response = client.post(
        "/api/v1/patients", data=b"{bad json", headers={"Content-Type": "application/json"}
    )
    _assert_problem(response, 401)
