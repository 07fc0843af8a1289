"""``execute_prepared``: a Core statement compiled once and sent as the driver's SQL must store
exactly what ``Connection.execute`` stores, and stay visible to the engine's events and errors.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from server.extensions import db
from server.prepared import execute_prepared
from server.tracking.models import HeadacheEntry, SymptomCheck


def _row(patient, **fields) -> dict:
    now = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # a DST change in Europe
    return {
        "id": uuid.uuid4(),
        "clinic_id": patient.clinic_id,
        "patient_id": patient.id,
        "recorded_at": now,
        "received_at": now + timedelta(microseconds=1),
        "local_date": date(2026, 3, 29),
        "body_digest": "f" * 64,
        **fields,
    }


def _stored(table: sa.Table, record_id: uuid.UUID) -> dict:
    row = db.session.execute(sa.select(table).where(table.c.id == record_id)).mappings().one()
    return {name: value for name, value in row.items() if name != "id"}


def _stored_raw(table: sa.Table, record_id: uuid.UUID) -> dict:
    """The row as the database holds it (SQLite compares datetimes as text), without its id."""
    by_id = sa.select(table).where(table.c.id == sa.bindparam("id"))
    connection = db.session.connection()
    (row,) = execute_prepared(connection, by_id, {"id": record_id}).mappings().all()
    return {name: value for name, value in row.items() if name != "id"}


@pytest.mark.parametrize(
    ("model", "fields"),
    [
        (SymptomCheck, {"answers": {"thunderclap": False, "numbness": True}, "urgent": True}),
        (
            HeadacheEntry,
            {
                "started_at": datetime(2026, 3, 28, 23, 59, 59, 999999, tzinfo=UTC),
                "duration_minutes": 90,
                "intensity": 7,
                "side": "left",
                "triggers": ["screen", "stress"],
                "medication_taken": False,
                "notes": "Ağrı ensede başladı.",
            },
        ),
    ],
)
def test_a_prepared_insert_stores_what_core_stores(app_ctx, make_patient, model, fields) -> None:
    patient = make_patient()
    table = model.__table__
    statement = sa.insert(table)
    prepared, core = _row(patient, **fields), _row(patient, **fields)
    connection = db.session.connection()

    assert execute_prepared(connection, statement, prepared).rowcount == 1
    connection.execute(statement, core)

    assert _stored(table, prepared["id"]) == _stored(table, core["id"])
    assert _stored_raw(table, prepared["id"]) == _stored_raw(table, core["id"])
    assert _stored(table, prepared["id"])["started_at" if model is HeadacheEntry else "answers"]


@pytest.mark.parametrize(
    "statement",
    [
        sa.update(SymptomCheck.__table__).values(urgent=True),  # a value held in the statement
        sa.select(SymptomCheck.__table__).where(SymptomCheck.id.in_([uuid.uuid4()])),
        sa.select(SymptomCheck.__table__.c.id).with_for_update(),
    ],
    ids=["held value", "expanding IN", "FOR UPDATE"],
)
def test_statements_that_need_sqlalchemys_per_execution_step_are_refused(
    app_ctx, statement
) -> None:
    with pytest.raises(ValueError, match="bound by name"):
        execute_prepared(db.session.connection(), statement, {})


def test_a_value_left_out_is_refused_before_the_database(app_ctx, make_patient) -> None:
    row = _row(make_patient(), answers={}, urgent=False)
    del row["urgent"]  # Core would send NULL here; a column default would not apply either

    with pytest.raises(KeyError, match="urgent"):
        execute_prepared(db.session.connection(), sa.insert(SymptomCheck.__table__), row)


def test_prepared_statements_pass_through_the_engines_events_and_errors(
    app_ctx, make_patient
) -> None:
    table = SymptomCheck.__table__
    row = _row(make_patient(), answers={}, urgent=False)
    seen: list[str] = []

    def record(_connection, _cursor, statement: str, *_args) -> None:
        seen.append(statement)

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        connection = db.session.connection()
        execute_prepared(connection, sa.insert(table), row)
        with pytest.raises(sa.exc.IntegrityError):
            execute_prepared(connection, sa.insert(table), row)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert [s.split(" (")[0] for s in seen] == ["INSERT INTO symptom_checks"] * 2


def test_a_binary_parameter_goes_as_a_binary_array_to_postgresql_only() -> None:
    """``prepared.Binary``: the placeholder asks psycopg for its binary format (a list as a
    binary array); elsewhere, or bound by position, it is refused rather than sent as text."""
    from sqlalchemy.dialects import postgresql, sqlite

    from server.prepared import Binary, Prepared

    ids = sa.cast(sa.bindparam("ids", type_=Binary()), postgresql.ARRAY(sa.Uuid))
    statement = sa.select(sa.func.cardinality(ids), sa.bindparam("n", type_=sa.Integer))
    sql = Prepared(statement, postgresql.psycopg.dialect()).sql
    assert "%(ids)b" in sql
    assert "%(n)s" in sql
    with pytest.raises(ValueError, match="binary"):
        Prepared(sa.select(sa.bindparam("ids", type_=Binary())), sqlite.dialect())


def test_a_binary_array_reaches_postgresql_typed(app_ctx, is_postgres) -> None:
    from sqlalchemy.dialects import postgresql

    from server.prepared import Binary

    if not is_postgres:
        pytest.skip("binary parameters are PostgreSQL's")
    ids = [uuid.uuid4(), uuid.uuid4()]
    array = sa.cast(sa.bindparam("ids", type_=Binary()), postgresql.ARRAY(sa.Uuid))
    statement = sa.select(sa.func.unnest(array))
    rows = execute_prepared(db.session.connection(), statement, {"ids": ids}).fetchall()
    assert [row[0] for row in rows] == ids
