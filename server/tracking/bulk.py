"""Batch statements that take all their rows in one parameter a column (SQLite: one in all).

SQLAlchemy's executemany converts every value of every row on its own (a fifth of a 500-item
sync), and its multi-row ``INSERT … VALUES (…), (…)`` and expanding ``IN (…)`` give every batch
size its own statement text: psycopg re-parses each one (its statement cache stops at 50
parameters) and PostgreSQL plans each one. Here a batch's rows travel as columns: on
PostgreSQL one binary array a column (``unnest``; psycopg dumps the values in C, and the server
parses no text), on SQLite one JSON document of arrays (``json_each``); the values every row
shares are bound once, and ids travel as one parameter, so each statement's text is constant:
compiled once (:func:`server.prepared.execute_prepared`) and, on PostgreSQL, prepared and
planned once. The values are the ones SQLAlchemy would store: on SQLite each column's own bind
processor makes them, on PostgreSQL psycopg sends them as it does for any insert.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from server.database.types import UTCDateTime
from server.prepared import Binary, execute_prepared


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()  # aware datetimes keep their offset
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def _defaults(table: sa.Table, given: Sequence[str]) -> dict[str, Any]:
    """Python-side column defaults a Core INSERT fills in for the columns not given, as
    zero-argument callables.
    """
    found: dict[str, Any] = {}
    for column in table.columns:
        default = column.default
        if column.name in given or default is None:
            continue
        if default.is_scalar:
            found[column.name] = functools.partial(lambda value: value, default.arg)
        elif default.is_callable:
            found[column.name] = functools.partial(default.arg, None)
    return found


def postgresql_records(table: sa.Table, columns: tuple[str, ...], name: str = "rows") -> Any:
    """``unnest(CAST(:<name>_<column> AS <its type>[]), …) AS anon(columns)``: the rows of
    :func:`postgresql_columns` as a table, one binary array a column."""
    arrays = [
        sa.cast(sa.bindparam(f"{name}_{column}", type_=Binary()), _array_of(table.c[column]))
        for column in columns
    ]
    typed = (sa.column(column, table.c[column].type) for column in columns)
    return sa.func.unnest(*arrays).table_valued(*typed).render_derived()


def _array_of(column: sa.Column[Any]) -> postgresql.ARRAY:
    """The array type a column's values are CAST to: strings as text, whatever their length,
    so that the INSERT's own assignment refuses an over-long one (a CAST would cut it)."""
    if isinstance(column.type, sa.String) and not isinstance(column.type, sa.Enum):
        return postgresql.ARRAY(sa.Text)
    return postgresql.ARRAY(column.type)


@functools.cache
def _postgresql_insert(
    table: sa.Table, columns: tuple[str, ...], shared: tuple[str, ...], returning: bool
) -> Any:
    records = postgresql_records(table, columns)
    source = sa.select(*(records.c[name] for name in columns), *shared_binds(table, shared))
    insert = postgresql.insert(table).from_select([*columns, *shared], source)
    insert = insert.on_conflict_do_nothing(index_elements=[table.c.id])
    return insert.returning(table.c.id) if returning else insert


@functools.cache
def _sqlite_insert(
    table: sa.Table, columns: tuple[str, ...], shared: tuple[str, ...], returning: bool
) -> Any:
    names = ", ".join(f'"{name}"' for name in (*columns, *shared))
    picked = [f"json_extract(r.value, '$[{i}]')" for i in range(len(columns))]
    picked += [f":shared_{name}" for name in shared]
    # WHERE true: SQLite's grammar needs it between INSERT … SELECT and ON CONFLICT. Every
    # name is the table's own; every value is bound.
    sql = (
        f'INSERT INTO "{table.name}" ({names}) SELECT {", ".join(picked)} '  # noqa: S608
        "FROM json_each(:rows) AS r WHERE true ON CONFLICT (id) DO NOTHING"
        + (" RETURNING id" if returning else "")
    )
    binds = [sa.bindparam("rows", type_=sa.Text), *shared_binds(table, shared)]
    return sa.text(sql).bindparams(*binds)


def shared_binds(table: sa.Table, shared: tuple[str, ...]) -> list[Any]:
    """``:shared_<column>`` for each of ``shared``: a value every row of a batch has."""
    return [sa.bindparam(f"shared_{name}", type_=table.c[name].type) for name in shared]


@functools.cache
def _postgresql_values(
    table: sa.Table, columns: tuple[str, ...]
) -> tuple[tuple[str, Callable[[Any], Any] | None], ...]:
    """Each column with the function giving the value psycopg sends for it, None where that is
    the value itself: JSON columns as their JSON text (the statement CASTs it to jsonb)."""
    return tuple((name, _json_text if _is_json(table.c[name]) else None) for name in columns)


def _is_json(column: sa.Column[Any]) -> bool:
    type_ = column.type.dialect_impl(postgresql.dialect())
    return isinstance(type_, sa.JSON) or isinstance(getattr(type_, "impl", None), sa.JSON)


# One encoder for every JSON value: ``json.dumps`` with these options builds a new one per call
# (a sync's hundred headache entries, each with its triggers).
_JSON = json.JSONEncoder(default=_encode, separators=(",", ":"))


def _json_text(value: Any) -> str | None:
    return None if value is None else _JSON.encode(value)


@functools.lru_cache(maxsize=64)  # per engine's dialect: the tests make many
def _sqlite_converters(
    table: sa.Table, columns: tuple[str, ...], dialect: sa.Dialect
) -> tuple[tuple[str, Callable[[Any], Any] | None], ...]:
    """Each column with its SQLite bind processor: the value SQLAlchemy itself would store."""
    return tuple((name, _sqlite_converter(table.c[name].type, dialect)) for name in columns)


def _sqlite_converter(type_: Any, dialect: sa.Dialect) -> Callable[[Any], Any] | None:
    if type(type_) is UTCDateTime:  # SQLAlchemy's own goes through a % format: twice as slow
        return sqlite_instant
    return type_.dialect_impl(dialect).bind_processor(dialect)


def sqlite_instant(value: datetime | None) -> str | None:
    """An aware instant as :class:`~server.database.types.UTCDateTime` stores it on SQLite: UTC,
    no offset, ``YYYY-MM-DD HH:MM:SS.ffffff`` (SQLAlchemy's SQLite format)."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given; store aware datetimes only")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


@dataclass(frozen=True)
class Insert:
    """A batch insert ready to run: its statement and parameters, built before the first write
    (on SQLite the write lock is held from that write to the commit)."""

    statement: Any
    params: dict[str, Any]
    returning: bool


def completed(
    table: sa.Table, rows: Sequence[dict[str, Any]], shared: tuple[str, ...]
) -> tuple[Sequence[dict[str, Any]], tuple[str, ...]]:
    """The rows with the Python-side defaults of the columns they do not give, and their
    columns but ``shared`` (rows share their keys: one schema per table)."""
    given = tuple(rows[0])
    defaults = _defaults(table, given)
    if defaults:
        rows = [{**row, **{name: make() for name, make in defaults.items()}} for row in rows]
    return rows, tuple(name for name in (*given, *defaults) if name not in shared)


def prepare_insert(
    dialect: sa.Dialect,
    table: sa.Table,
    rows: Sequence[dict[str, Any]],
    *,
    shared: Sequence[str] = (),
    returning: bool,
) -> Insert:
    """``INSERT … SELECT`` from the rows (SQLite: one JSON document; PostgreSQL: one binary
    array a column) ``ON CONFLICT (id) DO NOTHING``, returning the ids inserted when
    ``returning``. Rows share their keys (one schema per table) and the values of the
    ``shared`` columns, which are bound once.
    """
    shared = tuple(shared)
    rows, columns = completed(table, rows, shared)
    params = {f"shared_{name}": rows[0][name] for name in shared}
    if dialect.name == "postgresql":
        statement = _postgresql_insert(table, columns, shared, returning)
        return Insert(statement, {**postgresql_columns(table, columns, rows), **params}, returning)
    statement = _sqlite_insert(table, columns, shared, returning)
    converters = _sqlite_converters(table, columns, dialect)
    matrix = [[row[n] if c is None else c(row[n]) for n, c in converters] for row in rows]
    document = json.dumps(matrix, separators=(",", ":"))
    return Insert(statement, {"rows": document, **params}, returning)


def postgresql_columns(
    table: sa.Table, columns: tuple[str, ...], rows: Sequence[dict[str, Any]], name: str = "rows"
) -> dict[str, list[Any]]:
    """PostgreSQL: the parameters of :func:`postgresql_records`, a list of values a column (as
    a plain insert would bind them, psycopg's own conversion, in C)."""
    return {
        f"{name}_{column}": [row[column] for row in rows]
        if make is None
        else [make(row[column]) for row in rows]
        for column, make in _postgresql_values(table, columns)
    }


def prepare_stored(
    table: sa.Table, columns: Sequence[str], matrix: list[list[Any]], shared: dict[str, Any]
) -> Insert:
    """SQLite: a batch insert of rows given as SQLite stores them (a list of values per row, in
    ``columns`` order: uuids as 32 hex digits), with the ``shared`` values bound once; no
    conversion left to do, so nothing per value on the way."""
    statement = _sqlite_insert(table, tuple(columns), tuple(shared), False)
    params = {f"shared_{name}": value for name, value in shared.items()}
    return Insert(statement, {"rows": json.dumps(matrix, separators=(",", ":")), **params}, False)


def run(connection: sa.Connection, insert: Insert) -> list[Any]:
    """Run a prepared insert: the ids it inserted (as the driver gives them: hex strings on
    SQLite) when it returns them."""
    result = execute_prepared(connection, insert.statement, insert.params)
    return [row[0] for row in result.fetchall()] if insert.returning else []


def ids_table(name: str, type_: sa.types.TypeEngine[Any]) -> Any:
    """``unnest(CAST(:name AS <type>[])) AS wanted(id)``: one array parameter, given as its text
    (``database.any_of.uuid_array_text``), as a table to join on.

    Joined, not ``= ANY(:name)``: a prepared statement's generic plan cannot see the array's
    length and may scan whole tables; an ``unnest`` is estimated small, so primary-key lookups.
    The parameter has no type of its own: the CAST types it, so PostgreSQL parses the text once
    as the array, not once per use.
    """
    untyped = sa.bindparam(name, type_=sa.types.NullType())
    return (
        sa.func.unnest(sa.cast(untyped, postgresql.ARRAY(type_)))
        .table_valued("id")
        .render_derived(name="wanted")
    )


def ids_document(name: str) -> Any:
    """``SELECT value FROM json_each(:name)``: SQLite's one parameter of ids (see
    :func:`ids_json`) as a subquery for ``IN``, searched id by id through the primary key."""
    return sa.select(sa.literal_column("value")).select_from(
        sa.func.json_each(sa.bindparam(name, type_=sa.Text))
    )


def ids_json(ids: Sequence[uuid.UUID]) -> str:
    """UUIDs as :func:`ids_document` takes them: as SQLite stores them (32 hex digits)."""
    return json.dumps([i.hex for i in ids])
