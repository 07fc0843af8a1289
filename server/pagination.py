"""Keyset pagination with an opaque cursor: ``limit`` and ``cursor`` in, ``next_cursor`` out."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

import marshmallow as ma
import sqlalchemy as sa

from server.errors import Unprocessable
from server.extensions import db

MAX_LIMIT = 200


class PageArgs(ma.Schema):
    """Query arguments every list endpoint accepts."""

    limit = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=MAX_LIMIT))
    cursor = ma.fields.String(load_default=None)


def page_of(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """An output schema ``{items: [item], next_cursor}`` for ``item_schema``."""
    return ma.Schema.from_dict(
        {
            "items": ma.fields.List(ma.fields.Nested(item_schema), required=True),
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


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        ((tag, raw),) = value.items()
        decoders: dict[str, Callable[[str], Any]] = {
            "dt": datetime.fromisoformat,
            "d": date.fromisoformat,
            "u": uuid.UUID,
        }
        return decoders[tag](raw)
    return value


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps([_encode(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, expected_length: int) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = [_decode(v) for v in json.loads(raw)]
    except (ValueError, KeyError, TypeError, binascii.Error) as error:
        raise Unprocessable("Invalid cursor.", errors={"cursor": ["Invalid cursor."]}) from error
    if len(values) != expected_length:
        raise Unprocessable("Invalid cursor.", errors={"cursor": ["Invalid cursor."]})
    return values


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
) -> tuple[list[Any], str | None]:
    """Run ``stmt`` ordered by ``keys`` (``(expression, descending)``, unique overall).

    ``key_of(row)`` returns the row's values for ``keys``; the last one seeds ``next_cursor``.
    """
    if cursor:
        stmt = stmt.where(_after(keys, decode_cursor(cursor, len(keys))))
    order = [expr.desc() if descending else expr.asc() for expr, descending in keys]
    stmt = stmt.order_by(*order).limit(limit + 1)
    result = db.session.execute(stmt)
    rows = list(result.scalars() if scalars else result.all())
    next_cursor = encode_cursor(key_of(rows[limit - 1])) if len(rows) > limit else None
    return rows[:limit], next_cursor
