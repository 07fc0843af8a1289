"""Keyset pagination with an opaque, encrypted cursor: ``limit`` and ``cursor`` in,
``next_cursor`` out."""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from flask import current_app

from server.errors import Unprocessable
from server.extensions import db
from server.serialization import Compiled
from server.validation import Text, storable

MAX_LIMIT = 200


class PageArgs(ma.Schema):
    """Query arguments every list endpoint accepts."""

    limit = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=MAX_LIMIT))
    cursor = Text(load_default=None)


def page_of(item_schema: type[ma.Schema], name: str, *, planned: bool = False) -> type[ma.Schema]:
    """An output schema ``{items: [item], next_cursor}`` for ``item_schema``; ``planned``: its
    items dumped by a plan made once (``serialization.Compiled``), for long pages."""
    item = (Compiled if planned else ma.fields.Nested)(item_schema)
    return ma.Schema.from_dict(
        {
            "items": ma.fields.List(item, required=True),
            "next_cursor": ma.fields.String(allow_none=True, required=True),
        },
        name=name,
    )


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, uuid.UUID):
        return {"u": str(value)}
    return value


def _aware(text: str) -> datetime:
    instant = datetime.fromisoformat(text)
    if instant.tzinfo is None:
        raise ValueError("naive datetime")
    return instant.astimezone(UTC)  # OverflowError at the edges of the calendar


def _integer(value: Any) -> int:
    if type(value) is not int or not -(2**63) <= value < 2**63:
        raise ValueError("not a 64-bit integer")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("not a string")
    storable(value)
    return value


# Cursor values by the Python type of their key column: tagged JSON objects, or plain values.
_TAGGED: dict[type, tuple[str, Callable[[str], Any]]] = {
    datetime: ("dt", _aware),
    date: ("d", date.fromisoformat),
    uuid.UUID: ("u", uuid.UUID),
}
_PLAIN: dict[type, Callable[[Any], Any]] = {int: _integer, str: _text}


def _python_type(expr: Any) -> type:
    column_type = expr.type
    if isinstance(column_type, sa.TypeDecorator):
        column_type = column_type.impl_instance
    return column_type.python_type


def _decode(raw: Any, python_type: type) -> Any:
    """The key value ``raw`` stands for, of the column's type; raises if it is anything else."""
    if python_type in _PLAIN:
        return _PLAIN[python_type](raw)
    tag, parse = _TAGGED[python_type]
    if not isinstance(raw, dict) or list(raw) != [tag] or not isinstance(raw[tag], str):
        raise ValueError(f"expected {{{tag!r}: string}}")
    return parse(raw[tag])


@functools.lru_cache(maxsize=4)
def _sealer(secret: str) -> Fernet:
    key = hashlib.sha256(b"hep-tracker pagination cursor\x00" + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal_cursor(raw: bytes) -> str:
    """Encrypt a cursor's JSON, so a URL never shows the key values (a patient's name) and a
    client cannot make one up."""
    return _sealer(current_app.config["SECRET_KEY"]).encrypt(raw).decode().rstrip("=")


def _unsealed(cursor: str) -> bytes:
    return _sealer(current_app.config["SECRET_KEY"]).decrypt(cursor + "=" * (-len(cursor) % 4))


def encode_cursor(values: Sequence[Any]) -> str:
    return seal_cursor(json.dumps([_encode(v) for v in values], separators=(",", ":")).encode())


def decode_cursor(cursor: str, keys: Sequence[tuple[Any, bool]]) -> list[Any]:
    """The key values of ``cursor``, each checked against its key column's type (else a 422)."""
    types = [_python_type(expr) for expr, _ in keys]
    try:
        raw = json.loads(_unsealed(cursor))
        if not isinstance(raw, list) or len(raw) != len(types):
            raise ValueError("wrong number of values")
        return [_decode(value, python_type) for value, python_type in zip(raw, types, strict=True)]
    # RecursionError: deeply nested JSON arrays; OverflowError: instants at the calendar's edges.
    except (
        ValueError,
        TypeError,
        OverflowError,
        RecursionError,
        binascii.Error,
        InvalidToken,
        ma.ValidationError,
    ) as error:
        raise Unprocessable("Invalid cursor.", errors={"cursor": ["Invalid cursor."]}) from error


def _after(keys: Sequence[tuple[Any, bool]], values: Sequence[Any]) -> sa.ColumnElement[bool]:
    clauses = []
    for i, (expr, descending) in enumerate(keys):
        equal = [keys[j][0] == values[j] for j in range(i)]
        beyond = expr < values[i] if descending else expr > values[i]
        clauses.append(sa.and_(*equal, beyond))
    return sa.or_(*clauses)


def paginate(
    stmt: sa.Select[Any],
    *,
    keys: Sequence[tuple[Any, bool]],
    key_of: Callable[[Any], Sequence[Any]],
    limit: int,
    cursor: str | None,
    scalars: bool = True,
    columns_only: bool = False,
) -> tuple[list[Any], str | None]:
    """Run ``stmt`` ordered by ``keys`` (``(expression, descending)``, unique overall).

    ``key_of(row)`` returns the row's values for ``keys``; the last one seeds ``next_cursor``.
    ``columns_only``: ``stmt`` selects no mapped objects, so its rows are read on the session's
    connection as Core rows, without the ORM's loading or autoflush (a third of a 200-row page's
    client time).
    """
    if cursor:
        stmt = stmt.where(_after(keys, decode_cursor(cursor, keys)))
    order = [expr.desc() if descending else expr.asc() for expr, descending in keys]
    stmt = stmt.order_by(*order).limit(limit + 1)
    result = (db.session.connection() if columns_only else db.session).execute(stmt)
    rows = list(result.scalars() if scalars else result.all())
    next_cursor = encode_cursor(key_of(rows[limit - 1])) if len(rows) > limit else None
    return rows[:limit], next_cursor


def keyset_pages(stmt: sa.Select[Any], *, keys: Sequence[Any], size: int = 500) -> Iterator[Any]:
    """Every row of ``stmt`` in ascending ``keys`` order (mapped attributes, unique overall),
    ``size`` rows to a query: each page is its own plain SELECT, so a long read (an export)
    holds no cursor or transaction open and only one page in memory at a time.
    """
    order = [(key, False) for key in keys]
    after: list[Any] | None = None
    while True:
        page = stmt if after is None else stmt.where(_after(order, after))
        rows = db.session.scalars(page.order_by(*(key.asc() for key in keys)).limit(size)).all()
        yield from rows
        if len(rows) < size:
            return
        after = [getattr(rows[-1], key.key) for key in keys]
