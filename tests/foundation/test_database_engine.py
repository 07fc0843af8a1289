"""PostgreSQL engine tuning: requests in autocommit until their first write, and pooled
connections pinged only after idling.

Both spare round trips (see docs/architecture.md, "Transactions"); these tests pin down what
they must not break.
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

from server.audit.models import AuditEvent
from server.database.transactions import READ, REQUEST_MODE, SOLE_WRITE, WRITE, begin_request
from server.events import Handler, RecordsIngested
from server.extensions import db
from tests.conftest import POSTGRES_ADMIN_URL, make_test_app

pytestmark = pytest.mark.parametrize("backend", ["postgresql"])
IDLE = psycopg.pq.TransactionStatus.IDLE


def _transaction_by_statement(app: Flask, send) -> list[tuple[bool, str]]:
    """(was a transaction open on the server, statement) for each statement ``send()`` ran.

    Registered after the engine's own listener, so a BEGIN it sends before a statement shows.
    """
    seen: list[tuple[bool, str]] = []

    def record(connection, _cursor, statement: str, *_args) -> None:
        status = connection.connection.dbapi_connection.info.transaction_status
        seen.append((status != IDLE, statement))

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        response = send()
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert response.status_code < 300, response.get_data(as_text=True)
    assert seen
    return seen


def _is_write(statement: str) -> bool:
    return not statement.startswith("SELECT")


def _audit_insert(clinic_id: uuid.UUID, action: str) -> sa.Insert:
    return (
        AuditEvent.__table__.insert()
        .values(id=sa.bindparam("id"), at=sa.func.now(), clinic_id=clinic_id, actor_role="system")
        .values(action=action)
    )


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


def test_an_authenticated_get_runs_in_autocommit_and_writes_its_audit_row(
    app: Flask, client: FlaskClient, make_staff, make_patient
) -> None:
    therapist = make_staff()
    patient = make_patient(therapist)

    seen = _transaction_by_statement(
        app, lambda: client.get(f"/api/v1/patients/{patient.id}", headers=therapist.headers)
    )

    assert not any(in_transaction for in_transaction, _ in seen), seen
    assert seen[-1][1].startswith("INSERT INTO audit_events")
    with app.app_context():
        actions = db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.patient_id == patient.id)
        ).all()
    assert "patient.read" in actions


def test_a_single_record_post_is_one_statement_that_commits_by_itself(
    app: Flask, client: FlaskClient, make_staff, make_patient
) -> None:
    patient = make_patient(make_staff())
    rating = {"id": str(uuid.uuid4()), "recorded_at": _now_iso(), "score": 4, "context": "now"}

    seen = _transaction_by_statement(
        app, lambda: client.post("/api/v1/me/pain-ratings", json=rating, headers=patient.headers)
    )

    assert not any(in_transaction for in_transaction, _ in seen), seen
    assert [statement for _, statement in seen if _is_write(statement)] == [seen[-1][1]]
    with app.app_context():
        stored = db.session.execute(
            sa.text(
                "SELECT (SELECT count(*) FROM pain_ratings WHERE id = :id),"
                " (SELECT count(*) FROM audit_events WHERE object_id = :text_id),"
                " (SELECT count(*) FROM flag_evaluation_states WHERE patient_id = :patient),"
                " (SELECT last_activity_at IS NOT NULL FROM patients WHERE id = :patient)"
            ),
            {"id": uuid.UUID(rating["id"]), "text_id": rating["id"], "patient": patient.id},
        ).one()
    assert tuple(stored) == (1, 1, 1, True)


def test_a_request_that_writes_more_begins_its_transaction_before_its_first_write(
    app: Flask, client: FlaskClient, make_staff, make_patient
) -> None:
    patient = make_patient(make_staff())  # a danger sign also raises a red flag and alerts
    check = {"id": str(uuid.uuid4()), "recorded_at": _now_iso(), "answers": {"thunderclap": True}}

    seen = _transaction_by_statement(
        app,
        lambda: client.post("/api/v1/me/symptom-checks", json=check, headers=patient.headers),
    )

    first_write = next(i for i, (_, statement) in enumerate(seen) if _is_write(statement))
    assert not any(in_transaction for in_transaction, _ in seen[:first_write]), seen
    assert all(in_transaction for in_transaction, _ in seen[first_write:]), seen
    assert sum(_is_write(statement) for _, statement in seen) > 1, seen


def test_a_single_record_is_its_whole_write_only_while_no_other_handler_has_work_for_it(
    app: Flask, client: FlaskClient, make_staff, make_patient
) -> None:
    """The insert asks the event table which handlers have work for the record, so one more
    handler there, and the pain rating's request opens its transaction before its first write
    and makes the handler's write in it."""
    patient = make_patient(make_staff())

    def audit_it(event: RecordsIngested) -> None:
        db.session.execute(_audit_insert(event.clinic_id, "test.handled"), {"id": uuid.uuid4()})

    table = dict(app.extensions["event_handlers"])
    table[RecordsIngested] = (*table[RecordsIngested], Handler(audit_it))
    app.extensions["event_handlers"] = table
    rating = {"id": str(uuid.uuid4()), "recorded_at": _now_iso(), "score": 4, "context": "now"}

    seen = _transaction_by_statement(
        app, lambda: client.post("/api/v1/me/pain-ratings", json=rating, headers=patient.headers)
    )

    first_write = next(i for i, (_, statement) in enumerate(seen) if _is_write(statement))
    assert all(in_transaction for in_transaction, _ in seen[first_write:]), seen
    with app.app_context():
        handled = sa.select(sa.func.count()).where(AuditEvent.action == "test.handled")
        assert db.session.scalar(handled) == 1


def test_a_write_request_rolls_back_everything_after_its_first_write(
    app_ctx: Flask, make_staff
) -> None:
    staff = make_staff()
    begin_request(db.session, WRITE)
    insert = _audit_insert(staff.clinic_id, "test.undone")
    db.session.execute(insert, {"id": uuid.uuid4()})
    db.session.execute(insert, {"id": uuid.uuid4()})
    db.session.rollback()

    undone = sa.select(sa.func.count()).where(AuditEvent.action == "test.undone")
    assert db.session.scalar(undone) == 0


def test_a_locking_read_begins_the_transaction(app_ctx: Flask, make_staff) -> None:
    staff = make_staff()
    begin_request(db.session, WRITE)
    db.session.execute(
        sa.select(AuditEvent.id).where(AuditEvent.clinic_id == staff.clinic_id).with_for_update()
    )

    status = db.session.connection().connection.dbapi_connection.info.transaction_status
    assert status != IDLE
    db.session.rollback()


def test_a_locking_select_written_as_text_begins_the_transaction(app_ctx: Flask) -> None:
    begin_request(db.session, WRITE)
    db.session.execute(sa.text("SELECT id FROM audit_events LIMIT 1 FOR UPDATE"))

    status = db.session.connection().connection.dbapi_connection.info.transaction_status
    assert status != IDLE
    db.session.rollback()


def test_a_sole_write_inside_an_open_transaction_joins_it(app_ctx: Flask, make_staff) -> None:
    staff = make_staff()
    begin_request(db.session, WRITE)
    insert = _audit_insert(staff.clinic_id, "test.joined")
    db.session.execute(insert, {"id": uuid.uuid4()})  # BEGIN
    db.session.execute(insert, {"id": uuid.uuid4()}, execution_options={SOLE_WRITE: True})
    db.session.execute(insert, {"id": uuid.uuid4()})  # still allowed: one transaction
    db.session.rollback()

    joined = sa.select(sa.func.count()).where(AuditEvent.action == "test.joined")
    assert db.session.scalar(joined) == 0


def test_a_failed_write_request_leaves_its_pooled_connection_clean(
    app_ctx: Flask, make_staff
) -> None:
    staff = make_staff()
    db.engine.dispose()  # one pooled connection from here on
    begin_request(db.session, WRITE)
    db.session.execute(_audit_insert(staff.clinic_id, "test.failed"), {"id": uuid.uuid4()})
    used = db.session.connection().connection.dbapi_connection
    db.session.rollback()
    db.session.close()

    with db.engine.connect() as connection:
        reused = connection.connection.dbapi_connection
        assert reused is used
        assert reused.info.transaction_status == IDLE
        assert reused.autocommit is False
        assert REQUEST_MODE not in connection.get_execution_options()


@pytest.mark.parametrize(
    ("mode", "options"), [(READ, {}), (WRITE, {SOLE_WRITE: True})], ids=["read", "sole write"]
)
def test_a_write_after_an_autocommit_write_is_refused(
    app_ctx: Flask, make_staff, mode: str, options: dict[str, bool]
) -> None:
    staff = make_staff()
    begin_request(db.session, mode)
    event = _audit_insert(staff.clinic_id, "test.write")
    db.session.execute(event, {"id": uuid.uuid4()}, execution_options=options)

    with pytest.raises(RuntimeError, match="would not be atomic"):
        db.session.execute(event, {"id": uuid.uuid4()})


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


def test_instants_come_back_in_utc_whatever_the_servers_zone(app_ctx: Flask) -> None:
    """Sessions run in UTC, so psycopg reads an instant as ``timezone.utc`` (kept as it is by
    the UTC columns) rather than as a zone each value is converted from."""
    assert db.session.scalar(sa.text("SHOW timezone")) == "UTC"
    instant = db.session.scalar(sa.text("SELECT CAST('2026-06-01 08:00:00+02' AS timestamptz)"))
    assert instant == datetime(2026, 6, 1, 6, 0, tzinfo=UTC)
    assert instant.tzinfo is UTC
