"""PostgreSQL batch statements that take all their rows in one parameter.

SQLAlchemy's multi-row ``INSERT … VALUES (…), (…)`` and expanding ``IN (…)`` give every batch
size its own statement text with a placeholder per value: psycopg re-parses each one (its
statement cache stops at 50 parameters) and PostgreSQL plans each one, which was a third of a
500-item sync. Here the rows travel as one JSON document (``jsonb_to_recordset``) and ids as
one array, so each statement's text is constant: parsed, prepared and planned once.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


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


@functools.cache
def _insert_statement(table: sa.Table, columns: tuple[str, ...], returning: bool) -> Any:
    records = (
        sa.func.jsonb_to_recordset(sa.cast(sa.bindparam("rows", type_=sa.Text), postgresql.JSONB))
        .table_valued(*(sa.column(name, table.c[name].type) for name in columns))
        .render_derived(with_types=True)
    )
    source = sa.select(*(records.c[name] for name in columns))
    insert = postgresql.insert(table).from_select(list(columns), source)
    insert = insert.on_conflict_do_nothing(index_elements=[table.c.id])
    return insert.returning(table.c.id) if returning else insert


def insert_rows(
    session: Any, table: sa.Table, rows: Sequence[dict[str, Any]], *, returning: bool
) -> list[Any]:
    """``INSERT … SELECT FROM jsonb_to_recordset(:rows) ON CONFLICT (id) DO NOTHING``; the ids
    inserted when ``returning``. Rows share their keys (one schema per table).
    """
    if not rows:
        return []
    given = tuple(rows[0])
    defaults = _defaults(table, given)
    columns = given + tuple(defaults)
    if defaults:
        rows = [{**row, **{name: make() for name, make in defaults.items()}} for row in rows]
    document = json.dumps(rows, default=_encode, separators=(",", ":"))
    result = session.execute(_insert_statement(table, columns, returning), {"rows": document})
    return list(result.scalars()) if returning else []


def ids_table(name: str, type_: sa.types.TypeEngine[Any]) -> Any:
    """``unnest(:name) AS wanted(id)``: one array parameter as a table to join on.

    Joined, not ``= ANY(:name)``: a prepared statement's generic plan cannot see the array's
    length and may scan whole tables; an ``unnest`` is estimated small, so primary-key lookups.
    """
    return (
        sa.func.unnest(sa.bindparam(name, type_=postgresql.ARRAY(type_)))
        .table_valued("id")
        .render_derived(name="wanted")
    )
