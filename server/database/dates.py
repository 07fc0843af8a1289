"""Date arithmetic in SQL that reads the same on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal


class DayOffset(sa.ColumnElement[int]):
    """Whole days from ``start`` to the date ``column`` (negative before it)."""

    inherit_cache = True
    type = sa.Integer()
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("start", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: sa.ColumnElement[Any], start: sa.ColumnElement[Any]) -> None:
        self.column = column
        self.start = start


def day_offset(column: sa.ColumnElement[Any], start: sa.ColumnElement[Any]) -> DayOffset:
    """``column - start`` in whole days, both dates."""
    return DayOffset(column, start)


@compiles(DayOffset)
def _julian_days(element: DayOffset, compiler: Any, **kw: Any) -> str:
    column, start = compiler.process(element.column, **kw), compiler.process(element.start, **kw)
    return f"CAST(julianday({column}) - julianday({start}) AS INTEGER)"


@compiles(DayOffset, "postgresql")
def _date_difference(element: DayOffset, compiler: Any, **kw: Any) -> str:
    column, start = compiler.process(element.column, **kw), compiler.process(element.start, **kw)
    return f"({column} - CAST({start} AS DATE))"
