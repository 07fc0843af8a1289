"""Erasure (issue 24 item 4), its acceptance: after a clinic admin erases a patient, the patient
cannot sign in, their name, email and free text are nowhere in the database (every text and JSON
column of every table is scanned), every operation of the spec answers as for an unknown patient,
and the audit trail shows who erased whom and why. Both retention settings, both databases."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from server.audit.models import AuditEvent
from server.audit.queries import trail
from server.clock import utcnow
from server.db import Base, JSONType
from server.erasure.models import Erasure, ErasureRequest
from server.extensions import db
from server.flags.models import Flag
from server.tracking.models import HeadacheEntry, PainRating
from tests.accounts.helpers import bearer, login
from tests.conftest import make_test_app
from tests.security.test_authorization_matrix import Operation, call, spec_operations
from tests.security.victims import VICTIM_EMAIL, VICTIM_NAME, World, build_world

REASON = "Patient's request of 7 December (KVKK Art. 7); no duty to keep the records."
# What must be nowhere after the erasure: identifiers and the free text written about the patient.
IDENTIFYING = [
    VICTIM_NAME,
    VICTIM_EMAIL,
    "victim-private-note",  # a headache entry's notes
    "victim-private-activity",  # PSFS activities named by the patient
    "victim-private-trigger",  # a headache trigger typed by the patient
    "victim-flag-note",  # a therapist's note on a flag
    "victim-erasure-wish",  # the patient's own request text
]
PUBLIC = {("POST", "/api/v1/auth/login"), ("POST", "/api/v1/auth/activate")}


@pytest.fixture(scope="module")
def operations() -> Iterator[list[Operation]]:
    app = make_test_app("sqlite://")
    yield spec_operations(app.test_client())
    with app.app_context():
        db.engine.dispose()


def _add_private_text(app: Flask, world: World) -> None:
    """A trigger typed by the patient and a therapist's flag note that names them."""
    victim = world.victim
    with app.app_context():
        db.session.execute(
            sa.update(HeadacheEntry)
            .where(HeadacheEntry.patient_id == victim.id)
            .values(triggers=["victim-private-trigger"])
        )
        today = utcnow().date()
        db.session.add(
            Flag(
                clinic_id=victim.clinic_id,
                patient_id=victim.id,
                type="high_pain",
                severity="high",
                severity_rank=1,
                status="open",
                episode_start=today,
                last_evidence_on=today,
                suggested_action="review",
                resolution_note=f"victim-flag-note: called {VICTIM_NAME}",
            )
        )
        db.session.commit()


@pytest.fixture
def world(request: pytest.FixtureRequest, app: Flask, operations: list[Operation]) -> World:
    """The authorization matrix's world, every object of the victim built before the erasure."""
    world = build_world(request, app)
    _add_private_text(app, world)
    for op in operations:
        for name in op.path_params:
            world.object_id(name)
    return world


def _ask(client: FlaskClient, world: World) -> None:
    """The patient asks to be erased, in words that name them."""
    wish = {"reason": f"victim-erasure-wish from {VICTIM_NAME}"}
    asked = client.post("/api/v1/me/erasure-request", json=wish, headers=world.victim.headers)
    assert asked.status_code == 201


def _erase(client: FlaskClient, world: World, retention: str, *, ask: bool = True) -> None:
    admin = world.admin_a.headers
    patch = client.patch("/api/v1/clinic", json={"erasure_retention": retention}, headers=admin)
    assert patch.status_code == 200
    assert patch.json["erasure_retention"] == retention
    if ask:
        _ask(client, world)
    url = f"/api/v1/patients/{world.victim.id}"
    assert client.delete(url, json={"reason": REASON}, headers=admin).status_code == 204


def _text_columns() -> Iterator[tuple[sa.Table, sa.Column]]:
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, sa.String | sa.Text | JSONType):
                yield table, column


def _found_in_database(markers: list[str]) -> list[str]:
    """Every (table.column: marker) where a text or JSON value holds one of ``markers``."""
    found = []
    for table, column in _text_columns():
        for (value,) in db.session.execute(sa.select(column).where(column.is_not(None))):
            text = (value if isinstance(value, str) else json.dumps(value)).lower()
            found += [f"{table.name}.{column.name}: {m}" for m in markers if m.lower() in text]
    return found


@pytest.mark.parametrize("retention", ["keep_deidentified", "delete"])
def test_the_name_email_and_free_text_are_nowhere_in_the_database(
    app: Flask, client: FlaskClient, world: World, retention: str
) -> None:
    _ask(client, world)
    with app.app_context():
        before = _found_in_database(IDENTIFYING)
    assert len({entry.split(": ")[1] for entry in before}) == len(IDENTIFYING), before
    _erase(client, world, retention, ask=False)
    with app.app_context():
        assert _found_in_database(IDENTIFYING) == []
        kept = db.session.scalar(
            sa.select(sa.func.count()).where(PainRating.patient_id == world.victim.id)
        )
    assert kept == (1 if retention == "keep_deidentified" else 0)


def test_the_scan_covers_every_text_column() -> None:
    """Control: the scan reads the columns where identifiers and free text live."""
    names = {f"{t.name}.{c.name}" for t, c in _text_columns()}
    for expected in ("users.name", "users.email", "headache_entries.notes", "flags.evidence"):
        assert expected in names


def test_the_patient_cannot_sign_in_again(app: Flask, client: FlaskClient, world: World) -> None:
    victim = world.victim
    _erase(client, world, "keep_deidentified")
    assert login(client, VICTIM_EMAIL, victim.password).status_code == 401
    refreshed = client.post("/api/v1/auth/refresh", headers=bearer(victim.refresh_token))
    assert refreshed.status_code == 401
    assert client.get("/api/v1/me", headers=victim.headers).status_code == 401


def test_every_operation_answers_as_for_an_unknown_patient(
    client: FlaskClient, world: World, operations: list[Operation]
) -> None:
    _erase(client, world, "keep_deidentified")
    victim_id = str(world.victim.id)
    problems = []
    for op in operations:
        if "public" in op.roles:
            continue
        response = call(client, world, op, world.victim)  # the erased patient's own token
        if "token_in_path" in op.roles:  # the calendar feed: its URL is the credential, and gone
            if response.status_code != 404:
                problems.append(f"{op} by its URL: {response.status_code}, want 404")
            continue
        if response.status_code != 401:
            problems.append(f"{op} as the erased patient: {response.status_code}")
        for who in (world.therapist_a, world.admin_a):
            if who.role not in op.roles:
                continue
            response = call(client, world, op, who)
            body = response.get_data(as_text=True).lower()
            if op.path_params and response.status_code != 404:
                problems.append(f"{op} as {who.role}: {response.status_code}, want 404")
            leaked = [m for m in IDENTIFYING if m.lower() in body]
            if op.path != "/api/v1/audit" and victim_id in body:
                leaked.append("the patient's id")
            if leaked or response.status_code >= 500:
                problems.append(f"{op} as {who.role}: {response.status_code} {leaked}")
    assert not problems, "\n".join(problems)


def test_the_audit_trail_shows_who_erased_whom_and_why(
    app: Flask, client: FlaskClient, world: World
) -> None:
    _erase(client, world, "keep_deidentified")
    trail = client.get(
        f"/api/v1/audit?patient_id={world.victim.id}", headers=world.admin_a.headers
    ).json["items"]
    (erased,) = [event for event in trail if event["action"] == "patient.erase"]
    assert erased["actor_id"] == str(world.admin_a.id)
    assert erased["object_type"] == "erasure"
    with app.app_context():
        erasure = db.session.get_one(Erasure, uuid.UUID(erased["object_id"]))
        assert (erasure.patient_id, erasure.erased_by) == (world.victim.id, world.admin_a.id)
        assert erasure.reason == REASON
        assert erasure.retention == "keep_deidentified"
        columns = [c for c in AuditEvent.__table__.columns if isinstance(c.type, sa.String)]
        assert {c.name for c in columns} == {"actor_role", "action", "object_type", "object_id"}


def test_only_a_clinic_admin_erases_and_says_why(client: FlaskClient, world: World) -> None:
    url = f"/api/v1/patients/{world.victim.id}"
    admin = world.admin_a.headers
    assert (
        client.delete(url, json={"reason": REASON}, headers=world.therapist_a.headers).status_code
        == 403
    )
    missing = client.delete(url, json={}, headers=admin)
    assert missing.status_code == 422
    assert "reason" in missing.json["errors"]
    assert client.delete(url, json={"reason": ""}, headers=admin).status_code == 422
    other = client.delete(url, json={"reason": REASON}, headers=world.admin_b.headers)
    assert other.status_code == 404
    assert client.delete(url, json={"reason": REASON}, headers=admin).status_code == 204
    assert client.delete(url, json={"reason": REASON}, headers=admin).status_code == 404


def test_a_request_reaches_the_admins_queue_and_the_erasure_closes_it(
    app: Flask, client: FlaskClient, world: World
) -> None:
    victim, admin = world.victim, world.admin_a.headers
    first = client.post("/api/v1/me/erasure-request", json={}, headers=victim.headers)
    assert first.status_code == 201
    assert first.json["closed_at"] is None
    again = client.post("/api/v1/me/erasure-request", json={}, headers=victim.headers)
    assert again.status_code == 200
    assert again.json["id"] == first.json["id"]
    assert (
        client.get("/api/v1/clinic/erasure-requests", headers=world.therapist_a.headers).status_code
        == 403
    )
    assert (
        client.get("/api/v1/clinic/erasure-requests", headers=world.admin_b.headers).json["items"]
        == []
    )
    (waiting,) = client.get("/api/v1/clinic/erasure-requests", headers=admin).json["items"]
    assert (waiting["patient_id"], waiting["patient_name"]) == (str(victim.id), VICTIM_NAME)
    url = f"/api/v1/patients/{victim.id}"
    assert client.delete(url, json={"reason": REASON}, headers=admin).status_code == 204
    assert client.get("/api/v1/clinic/erasure-requests", headers=admin).json["items"] == []
    with app.app_context():
        request = db.session.get_one(ErasureRequest, uuid.UUID(first.json["id"]))
        assert request.closed_at is not None
        assert request.erasure_id is not None
        events = trail()
        named = sa.select(events.action).where(events.patient_id == victim.id)
        actions = set(db.session.scalars(named))
    assert {"erasure.request", "erasure.request_list", "patient.erase"} <= actions


def test_the_clinic_shows_and_changes_its_retention(client: FlaskClient, world: World) -> None:
    assert (
        client.get("/api/v1/clinic", headers=world.therapist_a.headers).json["erasure_retention"]
        == "keep_deidentified"
    )
    bad = client.patch(
        "/api/v1/clinic", json={"erasure_retention": "forever"}, headers=world.admin_a.headers
    )
    assert bad.status_code == 422
    assert "erasure_retention" in bad.json["errors"]
    therapist = client.patch(
        "/api/v1/clinic", json={"erasure_retention": "delete"}, headers=world.therapist_a.headers
    )
    assert therapist.status_code == 403


def test_records_kept_de_identified_stay_under_the_patients_id(
    app: Flask, client: FlaskClient, world: World
) -> None:
    _erase(client, world, "keep_deidentified")
    with app.app_context():
        entry = db.session.scalars(
            sa.select(HeadacheEntry).where(HeadacheEntry.patient_id == world.victim.id)
        ).one()
        assert (entry.notes, entry.triggers, entry.intensity) == (None, [], 7)
        flag = db.session.scalars(sa.select(Flag).where(Flag.patient_id == world.victim.id)).one()
        assert (flag.status, flag.resolution_note) == ("auto_resolved", None)
