"""``column IN`` a list bound as one value: the ids of a page, in the statements that sum it up."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal


class AnyOf(sa.ColumnElement[bool]):
    """``column`` is one of the list given as parameter ``name`` at execution.

    PostgreSQL: ``column = ANY(:name)``, one array parameter, so the statement's text and plan
    do not change with the list's length, and 200 ids are not bound (and parsed) one by one.
    Elsewhere an expanding ``IN``.
    """

    inherit_cache = True
    type = sa.types.NullType()  # a predicate; Boolean would make SQLite append "= 1"
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("name", InternalTraversal.dp_string),
    ]

    def __init__(self, column: sa.ColumnElement[Any], name: str) -> None:
        self.column = column
        self.name = name


def any_of(column: sa.ColumnElement[Any], name: str = "ids") -> AnyOf:
    """``column IN (:name)``, the list bound as one value where the database allows."""
    return AnyOf(column, name)


@compiles(AnyOf)
def _expanding_in(element: AnyOf, compiler: Any, **kw: Any) -> str:
    values = sa.bindparam(element.name, expanding=True, type_=element.column.type)
    return compiler.process(element.column.in_(values), **kw)


@compiles(AnyOf, "postgresql")
def _any_array(element: AnyOf, compiler: Any, **kw: Any) -> str:
    array = sa.bindparam(element.name, type_=postgresql.ARRAY(element.column.type))
    return compiler.process(element.column == sa.func.any(array), **kw)
