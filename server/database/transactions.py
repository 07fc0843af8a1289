"""The request transaction protocol: when a transaction begins, which writes commit by
themselves, and which are refused (docs/architecture.md, "Transactions")."""

from __future__ import annotations

import functools
import re
import sqlite3
import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

# Execution options of a request's connection (see begin_request) and of a statement that is
# the request's whole write (see SOLE_WRITE).
REQUEST_MODE = "hep_request_mode"
READ, WRITE = "read", "write"
SOLE_WRITE = "hep_sole_write"
# Set on a request's connection once a write has committed by itself; cleared by begin_request.
_SOLE_WRITE_DONE = "sole_write_done"


class NotAtomic(RuntimeError):
    """A write followed a write that had already committed by itself."""


def begin_request(session: Any, mode: str) -> None:
    """Start an API request on PostgreSQL in autocommit; BEGIN is sent only before its first
    write, unless that write is the request's only one.

    Reads before the first write see what a READ COMMITTED transaction's would (each statement a
    fresh snapshot); a locking read (``FOR UPDATE``) counts as a write. In a ``READ`` request
    (a GET, whose only write is its audit rows in one INSERT, written last) and for a statement
    executed with ``SOLE_WRITE`` (one statement that is the request's whole write, e.g. a record
    with its audit row), the write commits by itself: no BEGIN and COMMIT round trips. Any write
    after such a one is refused. SQLite needs nothing: its reads already run outside a
    transaction and its first write takes the lock (:func:`begin_immediate`).
    """
    if session.get_bind().dialect.name == "postgresql":
        connection = session.connection(
            execution_options={"isolation_level": "AUTOCOMMIT", REQUEST_MODE: mode}
        )
        connection.info.pop(_SOLE_WRITE_DONE, None)


def wrote_nothing(session: Any) -> None:
    """The request's sole write wrote nothing (a guard in its statement held it back), so it
    may write again: there is nothing the next write would not be atomic with."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection().info.pop(_SOLE_WRITE_DONE, None)


def install_transaction_protocol(engine: Engine) -> None:
    """Begin each transaction right before its first write, on either backend."""
    if engine.dialect.name == "postgresql":
        _install_postgresql(engine)
    elif engine.dialect.name == "sqlite":
        _install_sqlite(engine)


def _install_postgresql(engine: Engine) -> None:
    """BEGIN before a request's first write, or no BEGIN when that write commits by itself."""
    from psycopg.pq import TransactionStatus  # the PostgreSQL driver, imported only when used

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _begin_before_first_write(
        connection: sa.Connection,
        _cursor: Any,
        statement: str,
        _parameters: Any,
        context: Any,
        _executemany: bool,
    ) -> None:
        mode = context.execution_options.get(REQUEST_MODE)
        if mode is None or is_plain_read(statement, context):
            return  # not a request (maintenance in autocommit may write freely), or a read
        if connection.info.get(_SOLE_WRITE_DONE):
            raise NotAtomic(
                "a write followed a request's sole autocommit write; they would not be atomic"
            )
        dbapi_connection = connection.connection.dbapi_connection
        if dbapi_connection.info.transaction_status != TransactionStatus.IDLE:
            return  # part of the transaction an earlier write began
        if mode == READ or context.execution_options.get(SOLE_WRITE):
            connection.info[_SOLE_WRITE_DONE] = True  # commits by itself
            return
        dbapi_connection.execute("BEGIN")  # COMMIT/ROLLBACK follow with the session's


def _install_sqlite(engine: Engine) -> None:
    """BEGIN IMMEDIATE before a transaction's first write, on every connection."""

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _sqlite_begin_immediate_before_first_write(
        connection: sa.Connection,
        _cursor: Any,
        statement: str,
        _parameters: Any,
        context: Any,
        _executemany: bool,
    ) -> None:
        # SQLite has one writer. The write lock is taken with BEGIN IMMEDIATE (waiting up to
        # busy_timeout) right before the transaction's first write or SELECT … FOR UPDATE, not
        # at its first statement: plain reads before that run on their own committed snapshot
        # (like PostgreSQL's READ COMMITTED), so a request holds the lock only from its first
        # write to its commit. Never a deferred read transaction that later upgrades to a
        # write: that fails with SQLITE_BUSY at once instead of waiting.
        dbapi_connection = connection.connection.dbapi_connection
        if dbapi_connection.in_transaction or is_plain_read(statement, context):
            return
        begin_immediate(dbapi_connection)


# How long a SQLite statement waits for a lock before "database is locked".
BUSY_TIMEOUT_MS = 30_000
# Waiting for the write lock: tries at pauses from the first, doubling up to the longest, for
# up to QUICK_WAIT_S; then SQLite's own busy handler for the rest.
FIRST_PAUSE_S, LONGEST_PAUSE_S, QUICK_WAIT_S = 50e-6, 1e-3, 0.01


def begin_immediate(dbapi_connection: sqlite3.Connection) -> None:
    """``BEGIN IMMEDIATE``: take SQLite's single write lock, waiting up to the busy timeout.

    SQLite's own busy handler sleeps 1, 2, 5, 10, 15 … ms between tries, so a lock that another
    worker holds for a fraction of a millisecond (a single record's writes and commit) cost each
    waiting worker at least 1 ms, with its CPU idle. For the first 10 ms the lock is tried again
    here, after 50 µs and then at pauses doubling to 1 ms; a lock held longer (a scheduler
    batch, a migration, a backup) is then waited for by SQLite's handler, which does not wake a
    thousand times a second. Every other wait keeps SQLite's handler.
    """
    dbapi_connection.execute("PRAGMA busy_timeout=0")
    try:
        quick_until = time.monotonic() + QUICK_WAIT_S
        pause = FIRST_PAUSE_S
        while time.monotonic() < quick_until:
            try:
                dbapi_connection.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if error.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:  # or an extended BUSY
                    raise
            time.sleep(pause)
            pause = min(pause * 2, LONGEST_PAUSE_S)
    finally:
        dbapi_connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    dbapi_connection.execute("BEGIN IMMEDIATE")


# Statements are told apart by their SQL text because not every statement has a compiled form
# to ask: execute_prepared and text() send SQL that SQLAlchemy never compiled as an INSERT, and
# a SELECT may wrap a writing CTE. PostgreSQL allows a write inside WITH only at the top, so a
# statement that starts with SELECT reads; one that starts with WITH reads unless a write
# keyword (upper case in SQLAlchemy's SQL, every value bound) appears in it.
_WRITE = re.compile(r"\b(?:INSERT|UPDATE|DELETE|MERGE)\b")
# A SELECT that locks rows (anywhere, text() included) or calls a function with a transaction-
# scoped effect is no plain read: run in autocommit, its lock or setting would end with it.
_LOCKS_OR_EFFECTS = re.compile(
    r"\bFOR\s+(?:NO\s+KEY\s+UPDATE|UPDATE|KEY\s+SHARE|SHARE)\b"
    r"|\b(?:pg_advisory\w*|pg_try_advisory\w*|set_config|nextval|setval)\s*\(",
    re.IGNORECASE,
)


def is_plain_read(statement: str, context: Any) -> bool:
    """A SELECT (or WITH … SELECT) that writes nothing, locks no row and has no transaction-
    scoped effect (SQLite's SQL text drops ``FOR UPDATE``, so the compiled statement is asked
    too)."""
    if not _reads_by_its_text(statement):
        return False
    compiled = getattr(context, "compiled", None)
    return getattr(getattr(compiled, "statement", None), "_for_update_arg", None) is None


@functools.lru_cache(maxsize=4096)
def _reads_by_its_text(statement: str) -> bool:
    """The SQL text's part of :func:`is_plain_read`, once per distinct text: SQLAlchemy
    compiles each statement once, so the same texts recur, and scanning a long join for the
    lock patterns took 4.5 % of a single record POST's instructions."""
    head = (statement.lstrip() if statement[:1].isspace() else statement)[:6].upper()
    if head == "PRAGMA":  # a query pragma (table_info: Alembic's head check) reads; one with = sets
        return "=" not in statement
    if head != "SELECT" and not (head.startswith("WITH") and _WRITE.search(statement) is None):
        return False
    return _LOCKS_OR_EFFECTS.search(statement) is None


def resume_read_request(session: Any) -> None:
    """Let a streamed GET response read after ``allow`` committed: the reads run on a connection
    in the request's ``READ`` mode again (PostgreSQL: autocommit, each a plain read outside any
    transaction), and any write there is refused as one after the request's sole write.

    The request context (and its session) lives on while the body streams; the session was
    committed, so its next statement checks a connection out afresh.
    """
    if session.get_bind().dialect.name == "postgresql":
        connection = session.connection(
            execution_options={"isolation_level": "AUTOCOMMIT", REQUEST_MODE: READ}
        )
        connection.info[_SOLE_WRITE_DONE] = True
