"""Which statements run outside a transaction: the SQL text's verdict is remembered per text,
the compiled statement's lock is asked every time (SQLite renders ``FOR UPDATE`` away)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from server.audit.models import AuditEvent
from server.database.transactions import WRITE, begin_request, is_plain_read
from server.extensions import db

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])


def _in_transaction() -> bool:
    return db.session.connection().connection.dbapi_connection.in_transaction


def test_a_locking_read_with_a_plain_reads_text_still_takes_the_write_lock(
    app_ctx: Flask,
) -> None:
    plain = sa.select(AuditEvent.id).limit(1)
    locking = plain.with_for_update()
    compile_ = db.session.get_bind().dialect.statement_compiler
    dialect = db.session.get_bind().dialect
    assert str(compile_(dialect, plain)) == str(compile_(dialect, locking))
    begin_request(db.session, WRITE)

    db.session.execute(plain)
    assert not _in_transaction()  # the text is now remembered as a plain read's
    db.session.execute(locking)
    assert _in_transaction()
    db.session.rollback()


def test_a_write_in_a_remembered_text_is_never_taken_for_a_read(app_ctx: Flask) -> None:
    statement = sa.text("WITH x AS (SELECT 1) INSERT INTO audit_events (id) SELECT NULL WHERE 0")
    for _ in range(2):
        db.session.execute(statement)
        assert _in_transaction()
        db.session.rollback()


def test_a_query_pragma_reads_and_a_setting_pragma_writes(app_ctx: Flask) -> None:
    assert is_plain_read('PRAGMA main.table_info("alembic_version")', None)
    assert not is_plain_read("PRAGMA user_version=3", None)
