"""What a request did to the database, statement by statement, and the transaction protocol's
rules checked against it (docs/architecture.md, "Transactions")."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import Flask

from server.database.transactions import READ, REQUEST_MODE, SOLE_WRITE, WRITE, is_plain_read
from server.extensions import db


@dataclass(frozen=True)
class Statement:
    sql: str
    write: bool  # the protocol's verdict: not a plain read
    compiled_dml: bool  # SQLAlchemy compiled it as an INSERT, UPDATE or DELETE
    sole: bool  # executed with SOLE_WRITE
    mode: str | None  # the request mode begin_request gave its connection (PostgreSQL)
    commits_alone: bool  # autocommit with no transaction open, after the protocol's own hook


@dataclass
class Request:
    """One HTTP request's statements and commits."""

    label: str
    method: str
    statements: list[Statement] = field(default_factory=list)
    commits: int = 0

    @property
    def writes(self) -> list[Statement]:
        return [s for s in self.statements if s.write]

    def broken_rules(self, backend: str) -> list[str]:
        """Every rule of the protocol this request broke, each as a sentence."""
        broken = []
        writes = self.writes
        if self.commits > 1:
            broken.append(f"committed {self.commits} times")
        if any(s.commits_alone for s in writes) and len(writes) > 1:
            broken.append(f"a write committed by itself beside {len(writes) - 1} other(s)")
        if any(s.sole for s in self.statements) and len(writes) != 1:
            broken.append(f"a SOLE_WRITE statement among {len(writes)} writes")
        if self.method == "GET":
            broken += _read_request_rules(self.statements)
        if any(s.compiled_dml and not s.write for s in self.statements):
            broken.append("a compiled INSERT/UPDATE/DELETE taken for a plain read")
        if backend == "postgresql":
            broken += _request_mode_rules(self)
        return [f"{self.label}: {rule}" for rule in broken]


# The tables a statement writes (a read's audit rows may ride in a CTE: WITH audited AS (INSERT…).
# A page read's audit events are one audit_pages row (spread into audit_events later).
_AUDIT_TABLES = ({"audit_events"}, {"audit_pages"})
_WRITTEN_TABLES = re.compile(r"\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|MERGE\s+INTO)\s+(\w+)")


def _read_request_rules(statements: list[Statement]) -> list[str]:
    """A GET writes at most once: its audit rows (or its page's row), in one INSERT (reads may
    follow it)."""
    writes = [s for s in statements if s.write]
    if len(writes) > 1:
        return [f"a GET wrote {len(writes)} times: {[s.sql[:60] for s in writes]}"]
    if writes and set(_WRITTEN_TABLES.findall(writes[0].sql)) not in _AUDIT_TABLES:
        return [f"a GET wrote something other than its audit rows: {writes[0].sql[:80]}"]
    return []


def _request_mode_rules(request: Request) -> list[str]:
    """On PostgreSQL an authenticated request is in its mode from its first statement, and its
    reads before its first write run outside a transaction."""
    modes = {s.mode for s in request.statements}
    if modes <= {None}:
        return []  # a public request: an ordinary transaction
    expected = READ if request.method == "GET" else WRITE
    if modes != {expected}:
        return [f"request modes {sorted(map(str, modes))}, expected {expected} throughout"]
    first_write = next((i for i, s in enumerate(request.statements) if s.write), None)
    early = request.statements[:first_write]
    if any(not s.commits_alone for s in early):
        return ["a read before the first write ran inside a transaction"]
    return []


def _commits_alone(connection: sa.Connection) -> bool:
    dbapi_connection = connection.connection.dbapi_connection
    if connection.dialect.name == "sqlite":
        return not dbapi_connection.in_transaction  # pysqlite without isolation_level
    from psycopg.pq import TransactionStatus

    idle = dbapi_connection.info.transaction_status == TransactionStatus.IDLE
    return bool(dbapi_connection.autocommit) and idle


@contextmanager
def recording(app: Flask, label: str, method: str) -> Iterator[Request]:
    """Record the statements and commits of what runs inside the block.

    Registered after the engine's own listeners, so a BEGIN the protocol sends before a
    statement shows as a transaction open when it runs.
    """
    request = Request(label, method.upper())

    def statement(connection, _cursor, sql: str, _parameters, context, _many) -> None:
        options: dict[str, Any] = context.execution_options
        compiled_dml = bool(context.isinsert or context.isupdate or context.isdelete)
        request.statements.append(
            Statement(
                sql=sql.lstrip(),
                write=not is_plain_read(sql, context),
                compiled_dml=compiled_dml,
                sole=bool(options.get(SOLE_WRITE)),
                mode=options.get(REQUEST_MODE),
                commits_alone=_commits_alone(connection),
            )
        )

    def commit(_connection) -> None:
        request.commits += 1

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", statement)
    sa.event.listen(engine, "commit", commit)
    try:
        yield request
    finally:
        sa.event.remove(engine, "before_cursor_execute", statement)
        sa.event.remove(engine, "commit", commit)
