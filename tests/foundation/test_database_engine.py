"""PostgreSQL engine tuning: GETs in autocommit, and pooled connections pinged only after idling.

Both spare round trips (see ``server/db.py``); these tests pin down what they must not break.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import psycopg
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from server.audit.services import write_audit
from server.db import begin_read_request
from server.extensions import db
from tests.conftest import POSTGRES_ADMIN_URL, make_test_app

pytestmark = pytest.mark.parametrize("backend", ["postgresql"])


def _autocommit_by_statement(app: Flask, send) -> list[tuple[bool, str]]:
    """(was the connection in autocommit, statement) for each statement ``send()`` ran."""
    seen: list[tuple[bool, str]] = []

    def record(connection, _cursor, statement: str, *_args) -> None:
        seen.append((connection.connection.dbapi_connection.autocommit, statement))

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        response = send()
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert response.status_code < 300, response.get_data(as_text=True)
    return seen


def test_an_authenticated_get_runs_in_autocommit_and_writes_its_audit_row(
    app: Flask, client: FlaskClient, make_staff, make_patient
) -> None:
    therapist = make_staff()
    patient = make_patient(therapist)

    seen = _autocommit_by_statement(
        app, lambda: client.get(f"/api/v1/patients/{patient.id}", headers=therapist.headers)
    )

    assert seen
    assert all(autocommit for autocommit, _ in seen), seen
    assert seen[-1][1].startswith("INSERT INTO audit_events")
    with app.app_context():
        actions = db.session.scalars(
            sa.text("SELECT action FROM audit_events WHERE patient_id = :p"), {"p": patient.id}
        ).all()
    assert "patient.read" in actions


def test_a_write_runs_in_one_transaction(
    app: Flask, client: FlaskClient, make_staff, make_patient
) -> None:
    patient = make_patient(make_staff())
    rating = {
        "id": str(uuid.uuid4()),
        "recorded_at": datetime.now(UTC).isoformat(),
        "score": 4,
        "context": "now",
    }

    seen = _autocommit_by_statement(
        app, lambda: client.post("/api/v1/me/pain-ratings", json=rating, headers=patient.headers)
    )

    assert seen
    assert not any(autocommit for autocommit, _ in seen), seen


def test_a_read_request_that_writes_twice_is_refused(app_ctx: Flask, make_staff) -> None:
    staff = make_staff()
    begin_read_request(db.session)
    event = {"actor": None, "clinic_id": staff.clinic_id, "action": "test.read"}
    write_audit(**event)

    with pytest.raises(RuntimeError, match="wrote twice in autocommit"):
        write_audit(**event)


def test_other_autocommit_work_may_write_more_than_once(app_ctx: Flask, make_staff) -> None:
    staff = make_staff()
    row = {"id": uuid.uuid4(), "clinic": staff.clinic_id}
    insert = sa.text(
        "INSERT INTO audit_events (id, at, clinic_id, actor_role, action) "
        "VALUES (:id, now(), :clinic, 'system', 'test.maintenance')"
    )
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(insert, row)
        connection.execute(insert, {**row, "id": uuid.uuid4()})
        written = connection.scalar(
            sa.text("SELECT count(*) FROM audit_events WHERE action = 'test.maintenance'")
        )

    assert written == 2


def _backend_pid(app: Flask) -> int:
    """The server process behind the pool's only connection (returned to the pool after)."""
    with app.app_context():
        db.engine.dispose()
        pid = db.session.scalar(sa.text("SELECT pg_backend_pid()"))
        db.session.remove()
    return pid


def _terminate(pid: int) -> None:
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]


@pytest.fixture
def app_pinging(database_url: str, app: Flask, request: pytest.FixtureRequest) -> Iterator[Flask]:
    """An app on the test schema whose pool pings after ``request.param`` idle seconds."""
    pinging = make_test_app(database_url, DATABASE_PING_AFTER_IDLE_SECONDS=request.param)
    yield pinging
    with pinging.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("app_pinging", [0.0], indirect=True)
def test_a_connection_that_died_while_idle_is_replaced_before_use(app_pinging: Flask) -> None:
    _terminate(_backend_pid(app_pinging))

    response = app_pinging.test_client().get("/healthz")

    assert response.status_code == 200, response.get_data(as_text=True)


@pytest.mark.parametrize("app_pinging", [3600.0], indirect=True)
def test_inside_the_window_a_dead_connection_costs_one_503_then_the_pool_recovers(
    app_pinging: Flask,
) -> None:
    _terminate(_backend_pid(app_pinging))
    client = app_pinging.test_client()

    first = client.get("/healthz")
    second = client.get("/healthz")

    assert first.status_code == 503, first.get_data(as_text=True)
    assert first.content_type == "application/problem+json"
    assert second.status_code == 200, second.get_data(as_text=True)
