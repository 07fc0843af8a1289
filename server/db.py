"""Declarative base, column types and engine tuning shared by every domain."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Timezone-aware datetimes stored as UTC on every backend (SQLite keeps no offset)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; store aware datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class JSONType(sa.TypeDecorator[Any]):
    """JSON on SQLite, JSONB on PostgreSQL."""

    impl = sa.JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(sa.JSON())


class Base(DeclarativeBase):
    """Declarative base with a constraint naming convention so migrations are stable."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime(),
        uuid.UUID: sa.Uuid(),
        dict[str, Any]: JSONType(),
        list[Any]: JSONType(),
    }


def uuid_pk() -> Mapped[uuid.UUID]:
    """A UUID primary key minted by the server."""
    return mapped_column(primary_key=True, default=uuid.uuid4)


def configure_engine(engine: Engine) -> None:
    """Turn on WAL, foreign keys and write locking for SQLite; nothing for other backends."""
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from pysqlite so BEGIN IMMEDIATE below is honoured.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

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
        if dbapi_connection.in_transaction or _is_plain_read(statement, context):
            return
        dbapi_connection.execute("BEGIN IMMEDIATE")


def _is_plain_read(statement: str, context: Any) -> bool:
    """A SELECT that takes no row lock (``FOR UPDATE`` is dropped from SQLite's SQL text)."""
    if statement.lstrip()[:6].upper() != "SELECT":
        return False
    compiled = getattr(context, "compiled", None)
    return getattr(getattr(compiled, "statement", None), "_for_update_arg", None) is None
