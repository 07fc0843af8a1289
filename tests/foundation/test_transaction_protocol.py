"""The transaction protocol (docs/architecture.md, "Transactions") holds on every operation of
the spec, on both databases: run once with a valid request (the audit walk's steps and the ones
below, which must cover ``/api/v1/openapi.json``) and once by each caller the authorization
matrix uses, each request's statements and commits are checked (tests/foundation/protocol.py).

Rules that can be checked without a request are checked when the engine is configured.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from server.accounts.models import User
from server.clock import utcnow
from server.database.engines import configure_engine
from server.extensions import db
from tests.accounts.helpers import bearer
from tests.audit.test_every_operation_audited import STEPS, Walk, _add_notification, _remember
from tests.factories import ClinicHandle, ProgrammeHandle, UserHandle
from tests.foundation.protocol import Request, recording
from tests.security.test_authorization_matrix import call, spec_operations
from tests.security.victims import VICTIM_OBJECTS, build_world

NEW_EXERCISE = {
    "slug": "walk-wall-angel",
    "category": "mobility",
    "name": {"en": "Wall angel", "tr": "Duvar meleği"},
    "instructions": {"en": "Slide your arms up the wall.", "tr": "Kollarınızı duvarda kaydırın."},
    "ladder": [{"level": 1, "sets": 1, "reps": 8}],
}
NEW_PASSWORD = "a-long-walk-passphrase"


@dataclass
class FullWalk(Walk):
    """The audit walk's world, with a clinic admin of the same clinic."""

    admin: UserHandle

    def admin_headers(self) -> dict[str, str]:
        return self.admin.headers


def _invitation_code(walk: FullWalk) -> str:
    """A fresh invitation for the walk's patient (sent before the recorded request)."""
    url = f"/api/v1/patients/{walk.patient.id}/invitations"
    return walk.client.post(url, headers=walk.staff()).json["code"]


# The operations the audit walk leaves out (they touch no patient's data), in the same form.
OTHER_STEPS = [
    ("GET", "/healthz", lambda w: ("/healthz", {}, None)),
    ("GET", "/livez", lambda w: ("/livez", {}, None)),
    ("GET", "/readyz", lambda w: ("/readyz", {}, None)),
    ("GET", "/api/v1/exercises", lambda w: ("/api/v1/exercises", w.staff(), None)),
    ("POST", "/api/v1/exercises", lambda w: ("/api/v1/exercises", w.staff(), NEW_EXERCISE)),
    (
        "PATCH",
        "/api/v1/exercises/{exercise_id}",
        lambda w: (f"/api/v1/exercises/{w.ids['own_exercise']}", w.staff(), {"retired": True}),
    ),
    (
        "GET",
        "/api/v1/programme-templates",
        lambda w: ("/api/v1/programme-templates", w.staff(), None),
    ),
    ("GET", "/api/v1/measures", lambda w: ("/api/v1/measures", w.staff(), None)),
    ("GET", "/api/v1/consents/current", lambda w: ("/api/v1/consents/current?lang=en", {}, None)),
    ("GET", "/api/v1/clinic", lambda w: ("/api/v1/clinic", w.staff(), None)),
    (
        "PATCH",
        "/api/v1/clinic",
        lambda w: ("/api/v1/clinic", w.admin_headers(), {"emergency_number": "112"}),
    ),
    ("GET", "/api/v1/audit", lambda w: ("/api/v1/audit", w.admin_headers(), None)),
    ("GET", "/api/v1/therapists", lambda w: ("/api/v1/therapists", w.admin_headers(), None)),
    (
        "POST",
        "/api/v1/therapists",
        lambda w: (
            "/api/v1/therapists",
            w.admin_headers(),
            {"name": "Walk", "email": "walk.staff@clinic.example", "password": NEW_PASSWORD},
        ),
    ),
    (
        "PATCH",
        "/api/v1/therapists/{user_id}",
        lambda w: (f"/api/v1/therapists/{w.ids['staff']}", w.admin_headers(), {"name": "W"}),
    ),
    (
        "POST",
        "/api/v1/auth/login",
        lambda w: (
            "/api/v1/auth/login",
            {},
            {"email": w.admin.email, "password": w.admin.password},
        ),
    ),
    (
        "POST",
        "/api/v1/auth/refresh",
        lambda w: ("/api/v1/auth/refresh", bearer(w.ids["refresh"]), None),
    ),
    (
        "POST",
        "/api/v1/auth/activate",
        lambda w: (
            "/api/v1/auth/activate",
            {},
            {"invite_code": _invitation_code(w), "password": NEW_PASSWORD},
        ),
    ),
    (
        "POST",
        "/api/v1/auth/logout",
        lambda w: ("/api/v1/auth/logout", bearer(w.ids["access"]), None),
    ),
]


def _remember_other(walk: FullWalk, method: str, spec_path: str, answer: Any) -> None:
    if (method, spec_path) == ("POST", "/api/v1/exercises"):
        walk.ids["own_exercise"] = answer["id"]
    elif (method, spec_path) == ("POST", "/api/v1/therapists"):
        walk.ids["staff"] = answer["id"]
    elif spec_path in ("/api/v1/auth/login", "/api/v1/auth/refresh"):
        walk.ids["refresh"], walk.ids["access"] = answer["refresh_token"], answer["access_token"]
    else:
        _remember(walk, method, spec_path, answer)


@pytest.fixture
def walk(
    app: Flask,
    client: FlaskClient,
    make_patient: Callable[..., UserHandle],
    make_staff: Callable[..., UserHandle],
    make_programme: Callable[..., ProgrammeHandle],
    make_exercise: Callable[..., Any],
    measure_library: dict[str, int],
) -> FullWalk:
    """The audit walk's patient and their therapist, and their clinic's admin (with the
    outcome measures loaded, which the measure steps name)."""
    patient = make_patient()
    with app.app_context():
        therapist_email = db.session.get_one(User, patient.therapist_id).email
    login = {"email": therapist_email, "password": patient.password}
    tokens = client.post("/api/v1/auth/login", json=login).json
    therapist = replace(
        patient, id=patient.therapist_id, role="therapist", access_token=tokens["access_token"]
    )
    clinic = ClinicHandle(patient.clinic_id, "the patient's clinic")
    programme = make_programme(patient, start_date=utcnow().date() - timedelta(days=3))
    ids = {"exercise": str(make_exercise())}
    admin = make_staff(clinic, role="clinic_admin")
    walk = FullWalk(app, client, patient, therapist, programme, ids, admin)
    walk.ids["notification"] = _add_notification(walk)
    return walk


def test_every_operation_keeps_the_protocol_on_a_valid_request(
    app: Flask, client: FlaskClient, walk: FullWalk, backend: str
) -> None:
    steps = [*STEPS, *OTHER_STEPS]
    unwalked = {(op.method, op.path) for op in spec_operations(client)} - {
        (method, path) for method, path, _ in steps
    }
    assert not unwalked, f"add a step for these operations: {sorted(unwalked)}"

    requests: list[Request] = []
    for method, spec_path, build in steps:
        path, headers, body = build(walk)
        with recording(app, f"{method} {spec_path}", method) as request:
            response = client.open(path, method=method, json=body, headers=headers)
        answer = response.get_json(silent=True)
        assert response.status_code < 300, (method, path, response.status_code, answer)
        _remember_other(walk, method, spec_path, answer)
        requests.append(request)

    broken = [rule for request in requests for rule in request.broken_rules(backend)]
    assert not broken, "\n".join(broken)
    # The walk exercised what the rules are about, so their silence means something.
    assert all(r.commits == 1 for r in requests if r.method != "GET")
    read_audits = [r for r in requests if r.method == "GET" and r.writes]
    assert len(read_audits) > 20
    if backend == "postgresql":
        assert sum(any(s.sole for s in r.statements) for r in requests) >= 3
        assert all(r.writes[0].commits_alone for r in read_audits)


def test_every_operation_keeps_the_protocol_when_refused(
    app: Flask, client: FlaskClient, request: pytest.FixtureRequest, backend: str
) -> None:
    """Anonymous, wrong-role, other-patient and other-clinic calls with empty bodies: 401, 403,
    404 and 422 answers roll back or commit once, as the protocol says."""
    world = build_world(request, app)
    callers = {
        "anonymous": None,
        "the victim": world.victim,
        "their therapist": world.therapist_a,
        "their admin": world.admin_a,
        "another patient": world.neighbour,
        "another clinic's therapist": world.therapist_b,
    }
    operations = spec_operations(client)
    for op in operations:  # the victim's objects, built before anything is recorded
        for name in [*op.path_params, *(p["name"] for p in op.query)]:
            if name in VICTIM_OBJECTS or name in op.path_params:
                world.object_id(name)
    broken, refused = [], 0
    for op in operations:
        for who, caller in callers.items():
            with recording(app, f"{op} as {who}", op.method) as recorded:
                response = call(client, world, op, caller)
            assert response.status_code < 500, (str(op), who, response.get_data(as_text=True))
            refused += response.status_code >= 400
            broken += recorded.broken_rules(backend)
    assert not broken, "\n".join(broken)
    assert refused > 100


def _engine(url: str) -> sa.Engine:
    """An engine whose DB-API module is a stand-in: never connected, only configured."""
    stand_in = types.SimpleNamespace(paramstyle="format", __version__="1.30.0", Error=Exception)
    return sa.create_engine(url, module=stand_in)


@pytest.mark.parametrize(
    "url", ["postgresql+pg8000://u@h/d", "postgresql+asyncpg://u@h/d", "mysql+pymysql://u@h/d"]
)
def test_a_database_the_protocol_was_not_written_for_is_refused_at_start_up(url: str) -> None:
    with pytest.raises(RuntimeError, match="unsupported database"):
        configure_engine(_engine(url))


def test_the_supported_databases_are_configured() -> None:
    for url in ("sqlite://", "postgresql+psycopg://u@h/d"):
        engine = sa.create_engine(url)
        configure_engine(engine)
        assert len(engine.dispatch.before_cursor_execute) == 1  # the protocol's hook
