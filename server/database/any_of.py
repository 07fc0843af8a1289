"""``column IN`` a list bound as one value: the ids of a page, in the statements that sum it up;
and ids read and bound as text where a page reads thousands of them."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
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


# --- ids as text: a page's summary reads without a UUID object per row ----------------------
# The patient list reads a few thousand ids a page. As text (a "key": the stored hex on SQLite,
# the canonical form on PostgreSQL) they need no conversion in or out; only the ids a response
# shows become canonical text (uuid_text).


class IdText(sa.ColumnElement[str]):
    """``column`` (a UUID) as its key text: SQLite stores it so; PostgreSQL casts it."""

    inherit_cache = True
    type = sa.String()
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: sa.ColumnElement[Any]) -> None:
        self.column = column


def id_text(column: sa.ColumnElement[Any]) -> IdText:
    """A UUID column read as its key text (no UUID object, no conversion per row)."""
    return IdText(column)


@compiles(IdText)
def _stored_text(element: IdText, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.column, **kw)


@compiles(IdText, "postgresql")
def _cast_text(element: IdText, compiler: Any, **kw: Any) -> str:
    return compiler.process(sa.cast(element.column, sa.Text), **kw)


def array_text(texts: Iterable[str]) -> str:
    """Texts as a PostgreSQL array's literal (``{…,…}``), for a parameter the statement CASTs:
    one value to send and parse, where psycopg would dump a list item by item, in Python. The
    texts must need no quoting (ids: hex digits and dashes)."""
    return "{" + ",".join(texts) + "}"


def uuid_array_text(ids: Iterable[uuid.UUID]) -> str:
    """UUIDs as :func:`array_text`, from ``uuid.hex`` (cheaper than ``str``)."""
    return array_text(i.hex for i in ids)


class _KeyList(sa.TypeDecorator[list[str]]):
    """A list of key texts bound as one text: a JSON array on SQLite, an array's literal on
    PostgreSQL (:func:`array_text`, which the statement's CAST parses)."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        return array_text(value) if dialect.name == "postgresql" else json.dumps(value)


class AnyKeyOf(AnyOf):
    """``column`` is one of the key texts given as parameter ``name`` at execution."""

    inherit_cache = True


def any_key_of(column: sa.ColumnElement[Any], name: str = "ids") -> AnyKeyOf:
    """``column IN`` a list of key texts (:func:`id_text`), bound as one value on every backend,
    so the statement's text never changes with the page's length; the list is a table joined
    (SQLite ``json_each``, PostgreSQL ``unnest``), so a generic plan hashes it rather than
    comparing each row with every key."""
    return AnyKeyOf(column, name)


@compiles(AnyKeyOf)
def _in_json_array(element: AnyKeyOf, compiler: Any, **kw: Any) -> str:
    keys = compiler.process(sa.bindparam(element.name, type_=_KeyList()), **kw)
    column = compiler.process(element.column, **kw)
    return f"{column} IN (SELECT value FROM json_each({keys}))"  # noqa: S608


@compiles(AnyKeyOf, "postgresql")
def _any_cast_array(element: AnyKeyOf, compiler: Any, **kw: Any) -> str:
    keys = compiler.process(sa.bindparam(element.name, type_=_KeyList()), **kw)
    column = compiler.process(element.column, **kw)
    return f"{column} IN (SELECT unnest(CAST({keys} AS UUID[])))"


def key_rows(name: str = "ids") -> sa.TableValuedAlias:
    """PostgreSQL: the key texts given as parameter ``name``, as a table ``keys`` of one UUID
    column ``id`` (``unnest``), for statements that read each key's rows by itself (``LATERAL``)
    rather than every key's rows at once, hashed to the keys after."""
    array = sa.cast(sa.bindparam(name, type_=_KeyList()), postgresql.ARRAY(sa.Uuid()))
    return sa.func.unnest(array).table_valued(sa.column("id", sa.Uuid())).render_derived("keys")


def key_of(value: uuid.UUID, dialect: sa.Dialect) -> str:
    """The key text of ``value``, as :func:`id_text` reads it on ``dialect``."""
    return str(value) if dialect.name == "postgresql" else value.hex


def uuid_text(key: str) -> str:
    """A key text in the canonical form (``str(uuid)``), as a response shows it."""
    if len(key) != 32:
        return key
    return f"{key[:8]}-{key[8:12]}-{key[12:16]}-{key[16:20]}-{key[20:]}"
