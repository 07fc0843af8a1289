"""Engine tuning for SQLite and PostgreSQL, and the transaction protocol installed with it
(docs/architecture.md, "Transactions")."""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from server.database import transactions
from server.database.transactions import install_transaction_protocol

# The drivers whose connections the tuning and the transaction protocol handle.
SUPPORTED_DRIVERS = {"sqlite": "pysqlite", "postgresql": "psycopg"}


def configure_engine(engine: Engine, *, ping_after_idle: float = 1.0) -> None:
    """Tune ``engine`` for its backend and install the transaction protocol; refuse, at start-
    up, a database or driver they were not written for."""
    dialect = engine.dialect
    if SUPPORTED_DRIVERS.get(dialect.name) != dialect.driver:
        supported = ", ".join(f"{name}+{driver}" for name, driver in SUPPORTED_DRIVERS.items())
        raise RuntimeError(
            f"unsupported database {dialect.name}+{dialect.driver}; use one of {supported}"
        )
    if dialect.name == "sqlite":
        _configure_sqlite(engine)
    else:
        _configure_postgresql(engine, ping_after_idle)
    install_transaction_protocol(engine)


def _configure_sqlite(engine: Engine) -> None:
    """Turn on WAL, foreign keys and the busy timeout; take transaction control from pysqlite."""

    @sa.event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from pysqlite so the protocol's BEGIN IMMEDIATE is honoured.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={transactions.BUSY_TIMEOUT_MS}")
        cursor.close()


def _configure_postgresql(engine: Engine, ping_after_idle: float) -> None:
    """Ping a pooled connection before use only when it has sat idle ``ping_after_idle`` seconds
    or more.

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout: one more round trip per request, an
    eighth of a plan read's CPU here. A connection used a moment ago is almost surely alive (the
    bypass window of HikariCP and others); one that died inside the window fails its request
    with a 503, and SQLAlchemy then replaces the whole pool's connections.
    """

    @sa.event.listens_for(engine, "checkin")
    def _note_return(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info["returned_at"] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned_at = record.info.get("returned_at")
        if returned_at is None or time.monotonic() - returned_at < ping_after_idle:
            return  # new, or used within the window
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool discards this connection and checks out (or opens) another.
            raise sa.exc.DisconnectionError("stale pooled connection") from error
