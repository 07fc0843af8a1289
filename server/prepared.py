"""Hot statements compiled once and run as the driver's own SQL (:func:`execute_prepared`)."""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa


class Binary(sa.types.NullType):
    """The type of a parameter psycopg sends in its binary format (``%(name)b``): a list goes as
    a binary array of its elements' own types, nothing for the server to parse as text and no
    text for Python to make. The statement CASTs it to the type it needs; PostgreSQL only."""

    cache_ok = True


class Prepared:
    """A Core statement compiled once for a dialect, with the conversion of each bound value by
    the same column type SQLAlchemy would use.

    Only statements whose every value is bound by name at execution are accepted: a value held
    in the statement, a Python-side column default, an expanding ``IN`` or a literal-rendered
    parameter would need SQLAlchemy's per-execution step, and ``FOR UPDATE`` its write-lock hook
    (:func:`server.database.transactions.is_plain_read` reads it from the compiled statement).
    """

    def __init__(self, statement: sa.Executable, dialect: sa.Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        unsupported = (
            compiled.escaped_bind_names
            or compiled.post_compile_params
            or compiled.literal_execute_params
            or compiled.insert_prefetch
            or compiled.update_prefetch
            or any(not bind.required for bind in compiled.binds.values())
            or getattr(statement, "_for_update_arg", None) is not None
        )
        if unsupported:
            raise ValueError("only statements whose values are all bound by name can be prepared")
        self._positional = compiled.positiontup is not None
        binary = [name for name, bind in compiled.binds.items() if isinstance(bind.type, Binary)]
        if binary and (self._positional or dialect.name != "postgresql"):
            raise ValueError("binary parameters are sent by name, to PostgreSQL only")
        self.sql = compiled.string
        for name in binary:
            self.sql = self.sql.replace(f"%({name})s", f"%({name})b")
        names = compiled.positiontup if self._positional else list(compiled.binds)
        self._converters = tuple(
            (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
            for name in names
        )

    def values(self, params: dict[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        """The driver's parameters; a KeyError names a value that was not given."""
        if self._positional:
            return tuple([params[n] if c is None else c(params[n]) for n, c in self._converters])
        return {n: params[n] if c is None else c(params[n]) for n, c in self._converters}


@functools.lru_cache(maxsize=256)
def _prepared(statement: sa.Executable, dialect: sa.Dialect) -> Prepared:
    return Prepared(statement, dialect)


def execute_prepared(
    connection: sa.Connection, statement: sa.Executable, params: dict[str, Any], **options: Any
) -> sa.CursorResult[Any]:
    """Execute a cached Core ``statement`` without SQLAlchemy's per-execution compile step.

    ``Connection.execute`` derives the statement's cache key on every call, a walk of the whole
    expression; for a single record's guarded insert that and the compiled-statement setup cost
    more than SQLite spends running it. Here the statement is compiled once per dialect and sent
    with ``exec_driver_sql``, so events, error wrapping and the transaction work as for any
    statement, and, as with ``Connection.execute``, the session is not flushed first. Every
    bound value must be given, and the result's rows come back as the driver gives them,
    without type conversion (a statement without rows keeps its rowcount).
    """
    prepared = _prepared(statement, connection.dialect)
    return connection.exec_driver_sql(prepared.sql, prepared.values(params), options or None)


def execute_prepared_many(
    connection: sa.Connection, statement: sa.Executable, rows: list[dict[str, Any]]
) -> None:
    """:func:`execute_prepared` once per row of ``rows``, in one executemany."""
    prepared = _prepared(statement, connection.dialect)
    connection.exec_driver_sql(prepared.sql, [prepared.values(row) for row in rows])
