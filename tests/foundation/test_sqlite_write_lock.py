"""SQLite's single write lock: a write waits for it (trying again at short pauses rather than
SQLite's 1, 2, 5 … ms), gives up after the busy timeout with a 503, and a retry then stores the
record once.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask import Flask

from server.audit.models import AuditEvent
from server.database import transactions
from server.extensions import db
from server.tracking.models import PainRating
from tests.conftest import count
from tests.tracking.conftest import pain_body

sqlite_only = pytest.mark.parametrize("backend", ["sqlite"])


@contextmanager
def write_lock_held(app: Flask) -> Iterator[threading.Event]:
    """Hold the database's write lock from another connection until the yielded event is set."""
    with app.app_context():
        path = db.engine.url.database
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Event()

    def hold() -> None:
        release.wait(timeout=30)
        holder.execute("COMMIT")

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        yield release
    finally:
        release.set()
        thread.join()
        holder.close()


def _busy_timeout() -> int:
    return db.session.connection().exec_driver_sql("PRAGMA busy_timeout").scalar_one()


@sqlite_only
def test_a_write_waits_for_the_lock_and_then_commits(app_ctx, make_clinic) -> None:
    clinic = make_clinic()
    audit = {"clinic_id": clinic.id, "actor_role": "system", "action": "lock.test"}
    with write_lock_held(app_ctx) as release:
        threading.Timer(0.05, release.set).start()
        db.session.execute(sa.insert(AuditEvent), audit)
        # BEGIN IMMEDIATE could only succeed once the other connection had let go.
        assert release.is_set()
    db.session.commit()

    stored = sa.select(sa.func.count()).where(AuditEvent.action == "lock.test")
    assert db.session.scalar(stored) == 1
    assert _busy_timeout() == transactions.BUSY_TIMEOUT_MS


@sqlite_only
def test_a_write_gives_up_after_the_busy_timeout(app_ctx, make_clinic, monkeypatch) -> None:
    monkeypatch.setattr(transactions, "BUSY_TIMEOUT_MS", 50)
    clinic = make_clinic()
    audit = {"clinic_id": clinic.id, "actor_role": "system", "action": "lock.test"}
    with write_lock_held(app_ctx), pytest.raises(sa.exc.OperationalError, match="locked"):
        db.session.execute(sa.insert(AuditEvent), audit)
    db.session.rollback()

    assert _busy_timeout() == 50  # SQLite's own handler is back for every other wait


@sqlite_only
def test_a_post_that_cannot_get_the_lock_is_503_and_its_retry_stores_it_once(
    app, client, make_patient, monkeypatch
) -> None:
    monkeypatch.setattr(transactions, "BUSY_TIMEOUT_MS", 50)
    patient = make_patient()
    body = pain_body()

    with write_lock_held(app):
        refused = client.post("/api/v1/me/pain-ratings", json=body, headers=patient.headers)
    retried = client.post("/api/v1/me/pain-ratings", json=body, headers=patient.headers)
    replayed = client.post("/api/v1/me/pain-ratings", json=body, headers=patient.headers)

    assert refused.status_code == 503, refused.get_data(as_text=True)
    assert refused.mimetype == "application/problem+json"
    assert (retried.status_code, replayed.status_code) == (201, 200)
    with app.app_context():
        assert count(PainRating) == 1


class ScriptedConnection:
    """A DB-API connection whose ``BEGIN IMMEDIATE`` fails with the given SQLite error codes,
    one per try, before it succeeds; it records every statement."""

    def __init__(self, *codes: int) -> None:
        self.codes = list(codes)
        self.statements: list[str] = []

    def execute(self, sql: str) -> None:
        self.statements.append(sql)
        if sql == "BEGIN IMMEDIATE" and self.codes:
            error = sqlite3.OperationalError("scripted")
            error.sqlite_errorcode = self.codes.pop(0)
            raise error


BUSY, BUSY_RECOVERY, BUSY_SNAPSHOT, IOERR = 5, 261, 517, 10
RESTORE = f"PRAGMA busy_timeout={transactions.BUSY_TIMEOUT_MS}"


def test_the_lock_is_tried_again_on_every_kind_of_busy(monkeypatch) -> None:
    # Time enough for the tries on a loaded host, where a 50 µs sleep can take milliseconds.
    monkeypatch.setattr(transactions, "QUICK_WAIT_S", 5.0)
    connection = ScriptedConnection(BUSY, BUSY_RECOVERY, BUSY_SNAPSHOT)

    transactions.begin_immediate(connection)

    assert connection.statements == [
        "PRAGMA busy_timeout=0",
        *["BEGIN IMMEDIATE"] * 4,
        RESTORE,
    ]


def test_any_other_error_is_raised_at_once_and_the_busy_timeout_restored(monkeypatch) -> None:
    monkeypatch.setattr(transactions, "QUICK_WAIT_S", 5.0)
    connection = ScriptedConnection(BUSY, IOERR)

    with pytest.raises(sqlite3.OperationalError):
        transactions.begin_immediate(connection)

    assert connection.statements == [
        "PRAGMA busy_timeout=0",
        "BEGIN IMMEDIATE",
        "BEGIN IMMEDIATE",
        RESTORE,
    ]


def test_after_the_quick_tries_sqlites_own_handler_waits(monkeypatch) -> None:
    monkeypatch.setattr(transactions, "QUICK_WAIT_S", 0.0)
    connection = ScriptedConnection()

    transactions.begin_immediate(connection)

    assert connection.statements == ["PRAGMA busy_timeout=0", RESTORE, "BEGIN IMMEDIATE"]
