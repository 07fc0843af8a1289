"""The authorization matrix (issue 3): every operation of the OpenAPI spec, attacked four ways.

Routes are discovered from ``/api/v1/openapi.json``, so a new route is covered the moment it is
documented. For each operation:

- no token → 401 (except the public allowlist below);
- a role the operation does not declare (``x-roles``) → 403, even on the caller's own clinic;
- another patient of the same clinic, on the victim's objects → 403/404, never the data;
- staff of another clinic, on the victim's objects → 403/404, never the data.

Operations without path parameters (``/me/...``, lists) act on the caller's own data: for them
the attackers may get any status below 500, but never a byte of the victim's data.
Bodies are ``{}``: authorization is checked before the body is parsed, so no 422 may mask it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from server.access import path_model
from server.extensions import db
from tests.conftest import make_test_app
from tests.factories import UserHandle
from tests.security.victims import World, build_world

PUBLIC_OPERATIONS = {
    ("GET", "/healthz"),
    ("GET", "/livez"),
    ("GET", "/readyz"),
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/refresh"),
    ("POST", "/api/v1/auth/activate"),
    ("POST", "/api/v1/auth/logout"),  # needs either token of the session it ends
    ("GET", "/api/v1/consents/current"),  # the consent text the app shows before activation
}
# ``allow(TOKEN_IN_PATH)``: no bearer token, the secret in the path is the credential (a calendar
# app cannot send a header). Anyone without the right secret gets 404, whoever they are; that
# a token shows only its own patient's data is tested in tests/calendar/test_api.py.
TOKEN_IN_PATH_OPERATIONS = {("GET", "/api/v1/calendar-feeds/{feed_token}.ics")}
# Path parameters that do not name a patient's data (and so are not scoped by patient).
# A clinic's own exercise (tests/programmes) and a staff account (tests/accounts).
NOT_PATIENT_DATA_PARAMS = {"exercise_id", "user_id"}
ROLES = ("patient", "therapist", "clinic_admin")
# Every role has these on its own account; the rest of /me is the patient's own data.
OWN_ACCOUNT_OPERATIONS = {("POST", "/api/v1/me/password")}
METHODS = ("get", "post", "put", "patch", "delete")
# Operations whose roles this file pins down, beyond discovering them: clinic settings and the
# reading back of patient records (issue 19).
EXPECTED_ROLES = {
    ("GET", "/api/v1/clinic"): {"therapist", "clinic_admin"},
    ("PATCH", "/api/v1/clinic"): {"clinic_admin"},
    ("GET", "/api/v1/me/session-logs"): {"patient"},
    ("GET", "/api/v1/me/pain-ratings"): {"patient"},
    ("GET", "/api/v1/me/headache-entries"): {"patient"},
    ("GET", "/api/v1/me/posture-breaks"): {"patient"},
    ("GET", "/api/v1/me/symptom-checks"): {"patient"},
    ("GET", "/api/v1/patients/{patient_id}/records"): {"therapist", "clinic_admin"},
    # Outcome measures (issue 23): the library is for everyone, since the app shows its questions.
    ("GET", "/api/v1/measures"): {"patient", "therapist", "clinic_admin"},
    ("GET", "/api/v1/programmes/{programme_id}/measures"): {"therapist", "clinic_admin"},
    ("POST", "/api/v1/programmes/{programme_id}/measures"): {"therapist", "clinic_admin"},
    ("GET", "/api/v1/programmes/{programme_id}/measures/{measure_schedule_id}"): {
        "therapist",
        "clinic_admin",
    },
    ("DELETE", "/api/v1/programmes/{programme_id}/measures/{measure_schedule_id}"): {
        "therapist",
        "clinic_admin",
    },
    ("POST", "/api/v1/me/measure-responses"): {"patient"},
    ("GET", "/api/v1/me/measures/due"): {"patient"},
    ("GET", "/api/v1/patients/{patient_id}/measures"): {"therapist", "clinic_admin"},
    # Data rights (issue 24): a patient exports their own data; staff of the clinic, a patient's.
    ("GET", "/api/v1/me/export"): {"patient"},
    ("GET", "/api/v1/patients/{patient_id}/export"): {"therapist", "clinic_admin"},
    # Data rights (issue 24): the calendar feed is the patient's own; the report is for staff.
    ("POST", "/api/v1/me/calendar-feed"): {"patient"},
    ("DELETE", "/api/v1/me/calendar-feed"): {"patient"},
    ("GET", "/api/v1/patients/{patient_id}/report.pdf"): {"therapist", "clinic_admin"},
    # Data rights (issue 24): consent is the patient's; erasing and its queue are the admin's.
    ("GET", "/api/v1/consents/current"): {"public"},
    ("GET", "/api/v1/me/consents"): {"patient"},
    ("POST", "/api/v1/me/consents"): {"patient"},
    ("POST", "/api/v1/me/consents/withdraw"): {"patient"},
    ("POST", "/api/v1/me/erasure-request"): {"patient"},
    ("DELETE", "/api/v1/patients/{patient_id}"): {"clinic_admin"},
    ("GET", "/api/v1/clinic/erasure-requests"): {"clinic_admin"},
}
PARAM = re.compile(r"{([^}]+)}")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    roles: tuple[str, ...]
    query: tuple[dict[str, Any], ...]

    @property
    def path_params(self) -> list[str]:
        return PARAM.findall(self.path)

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def spec_operations(client: FlaskClient) -> list[Operation]:
    """Every operation the OpenAPI document declares."""
    spec = client.get("/api/v1/openapi.json").json
    found = []
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                op = item[method]
                query = [p for p in op.get("parameters", []) if p.get("in") == "query"]
                roles = tuple(op.get("x-roles", ()))
                found.append(Operation(method.upper(), path, roles, tuple(query)))
    return found


@pytest.fixture
def world(request: pytest.FixtureRequest, app: Flask) -> World:
    return build_world(request, app)


@pytest.fixture(scope="module")
def operations() -> Iterator[list[Operation]]:
    """The spec of a database-less app: the routes do not depend on the backend."""
    app = make_test_app("sqlite://")
    yield spec_operations(app.test_client())
    with app.app_context():
        db.engine.dispose()


def _query_value(world: World, parameter: dict[str, Any]) -> str | None:
    name, schema = parameter["name"], parameter.get("schema", {})
    from tests.security.victims import VICTIM_OBJECTS

    if name in VICTIM_OBJECTS:
        return str(world.object_id(name))
    if not parameter.get("required"):
        return None
    kind, fmt = schema.get("type"), schema.get("format")
    now = datetime.now(UTC)
    values = {
        "date": now.date().isoformat(),
        "date-time": now.isoformat(),
        "uuid": str(uuid.uuid4()),
    }
    if fmt in values:
        return values[fmt]
    if schema.get("enum"):
        return str(schema["enum"][0])
    return {"integer": "1", "number": "1", "boolean": "true"}.get(kind, "x")


def call(client: FlaskClient, world: World, op: Operation, user: UserHandle | None) -> TestResponse:
    """Send ``op`` with the victim's ids in its path and query, as ``user`` (or anonymously)."""
    path = op.path
    for name in op.path_params:
        path = path.replace(f"{{{name}}}", str(world.object_id(name)))
    query = {p["name"]: v for p in op.query if (v := _query_value(world, p)) is not None}
    headers = user.headers if user else {}
    body = {} if op.method in ("POST", "PUT", "PATCH") else None
    # Buffered, as a WSGI server reads a streamed body (the export) to its end and closes it.
    return client.open(
        path, method=op.method, query_string=query, json=body, headers=headers, buffered=True
    )


def _leaks(world: World, response: TestResponse) -> list[str]:
    text = response.get_data(as_text=True).lower()
    return [marker for marker in world.markers if marker.lower() in text]


@dataclass
class Findings:
    problems: list[str]

    def check(self, ok: bool, op: Operation, who: str, response: TestResponse, want: str) -> None:
        if not ok:
            body = response.get_data(as_text=True)[:200]
            self.problems.append(f"{op} as {who}: got {response.status_code}, want {want}: {body}")

    def assert_none(self) -> None:
        assert not self.problems, "\n".join(self.problems)


@pytest.fixture
def findings() -> Iterator[Findings]:
    found = Findings([])
    yield found
    found.assert_none()


def test_the_public_operations_are_exactly_the_allowlist(operations: list[Operation]) -> None:
    public = {op.key for op in operations if "public" in op.roles}
    assert public == PUBLIC_OPERATIONS
    undeclared = [str(op) for op in operations if not op.roles]
    assert not undeclared, f"operations without x-roles: {undeclared}"


def test_the_token_in_path_operations_are_exactly_the_list(operations: list[Operation]) -> None:
    found = {op.key for op in operations if "token_in_path" in op.roles}
    assert found == TOKEN_IN_PATH_OPERATIONS
    assert all(op.roles == ("token_in_path",) for op in operations if op.key in found)


def test_a_wrong_secret_in_the_path_gets_404_from_anyone(
    client: FlaskClient, world: World, operations: list[Operation], findings: Findings
) -> None:
    callers = {"anonymous": None, "the victim": world.victim, "their therapist": world.therapist_a}
    for op in operations:
        if op.key not in TOKEN_IN_PATH_OPERATIONS:
            continue
        for who, caller in callers.items():
            response = call(client, world, op, caller)
            ok = response.status_code == 404 and response.content_type == "application/problem+json"
            findings.check(ok, op, who, response, "404 problem+json")
            findings.check(not _leaks(world, response), op, who, response, "no data")


def test_the_pinned_operations_are_attacked_with_their_roles(operations: list[Operation]) -> None:
    found = {op.key: set(op.roles) for op in operations if op.key in EXPECTED_ROLES}
    assert found == EXPECTED_ROLES


def test_me_operations_are_for_patients_only(operations: list[Operation]) -> None:
    for op in operations:
        if (op.method.upper(), op.path) in OWN_ACCOUNT_OPERATIONS:
            assert set(op.roles) == set(ROLES), str(op)
        elif op.path == "/api/v1/me" or op.path.startswith("/api/v1/me/"):
            assert op.roles == ("patient",), str(op)


def test_every_path_parameter_names_a_scoped_object(operations: list[Operation]) -> None:
    """Each path parameter is loaded through ``access.get_scoped`` before the view runs."""
    unguarded = set()
    for op in operations:
        for name in op.path_params:
            segment = op.path.split(f"/{{{name}}}")[0].rsplit("/", 1)[-1]
            if name not in NOT_PATIENT_DATA_PARAMS and path_model(name, segment) is None:
                unguarded.add(f"{op}: {name}")
    assert not unguarded, (
        "path parameters that access.allow cannot scope; name them after their table, call "
        f"access.register_path_model, or list them in NOT_PATIENT_DATA_PARAMS: {sorted(unguarded)}"
    )


def test_no_token_gets_401_everywhere_but_the_public_routes(
    client: FlaskClient, world: World, operations: list[Operation], findings: Findings
) -> None:
    for op in operations:
        if op.key in PUBLIC_OPERATIONS | TOKEN_IN_PATH_OPERATIONS:
            continue
        response = call(client, world, op, None)
        ok = response.status_code == 401 and response.content_type == "application/problem+json"
        findings.check(ok, op, "anonymous", response, "401 problem+json")
        findings.check(not _leaks(world, response), op, "anonymous", response, "no data")


def test_a_role_the_operation_does_not_declare_gets_403(
    client: FlaskClient, world: World, operations: list[Operation], findings: Findings
) -> None:
    # Callers from the victim's own clinic (the victim themself for the patient role).
    callers = {
        "patient": world.victim,
        "therapist": world.therapist_a,
        "clinic_admin": world.admin_a,
    }
    for op in operations:
        if op.key in PUBLIC_OPERATIONS | TOKEN_IN_PATH_OPERATIONS:
            continue
        for role in ROLES:
            if role in op.roles:
                continue
            response = call(client, world, op, callers[role])
            findings.check(response.status_code == 403, op, role, response, "403")


def _attack(
    client: FlaskClient,
    world: World,
    operations: list[Operation],
    findings: Findings,
    attacker: UserHandle,
    who: str,
) -> int:
    attempts = 0
    for op in operations:
        if attacker.role not in op.roles:
            continue  # the wrong-role test covers these
        response = call(client, world, op, attacker)
        attempts += 1
        findings.check(response.status_code < 500, op, who, response, "no server error")
        if op.path_params:
            ok = response.status_code in (403, 404)
            findings.check(ok, op, who, response, "403/404 on the victim's object")
        leaked = _leaks(world, response)
        findings.check(not leaked, op, who, response, f"none of the victim's data {leaked}")
    return attempts


def test_another_patient_never_reaches_the_victims_data(
    client: FlaskClient, world: World, operations: list[Operation], findings: Findings
) -> None:
    attempts = _attack(client, world, operations, findings, world.neighbour, "other patient")
    assert attempts > 0


def test_staff_of_another_clinic_never_reach_the_victims_data(
    client: FlaskClient, world: World, operations: list[Operation], findings: Findings
) -> None:
    for attacker, who in ((world.therapist_b, "other therapist"), (world.admin_b, "other admin")):
        assert _attack(client, world, operations, findings, attacker, who) > 0


def test_the_owners_reach_the_same_objects(
    client: FlaskClient, world: World, operations: list[Operation], findings: Findings
) -> None:
    """Control: the ids the attacks used are real, so their 404s mean 'not yours'."""
    owners = {"patient": world.victim, "therapist": world.therapist_a}
    for op in operations:
        if op.method != "GET" or not op.path_params:
            continue
        call(client, world, op, None)  # build the objects first, so fallbacks are known
        if any(name in world.fallback for name in op.path_params):
            continue
        owner = next((owners[r] for r in ("therapist", "patient") if r in op.roles), None)
        if owner is None:
            continue
        response = call(client, world, op, owner)
        findings.check(response.status_code == 200, op, "owner", response, "200")


def test_the_matrix_has_something_to_protect(
    client: FlaskClient, world: World, operations: list[Operation]
) -> None:
    """Control: the victim's own therapist does see the victim's data in the list."""
    response = client.get("/api/v1/patients", headers=world.therapist_a.headers)
    assert world.victim.email in response.get_data(as_text=True)
    assert any(op.path_params for op in operations)
