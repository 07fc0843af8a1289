"""A record body's digest: SHA-256 of its canonical JSON (instants in UTC, nulls dropped), what
a replay is recognised by. Stored with every record, so its text never changes."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime
from json import encoder as json_encoder
from typing import Any

import orjson

from server.tracking.rules import KINDS

_AS_IS = frozenset({str, int, bool, float, type(None)})


def _canonical(value: Any) -> Any:
    kind = type(value)  # exact types first: a digest per record, 500 in a sync
    if kind in _AS_IS:
        return value
    if kind is dict:
        return {str(k): _canonical(v) for k, v in value.items() if v is not None}
    if kind is datetime:
        return value.astimezone(UTC).isoformat()
    if kind is uuid.UUID or kind is date:
        return str(value)
    if kind is list:
        return [_canonical(v) for v in value]
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date | uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


# One encoder for every digest: ``json.dumps`` with these options builds a new one per call.
_DIGEST_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _digest_text_maker() -> Any:
    """``_DIGEST_JSON.encode``: its C encoder (which ``encode`` makes anew on every call) made
    once, without the circular-reference check (a canonical body is a tree built per call);
    the text is the same, as it is the same encoder with the same options."""
    if json_encoder.c_make_encoder is None:  # no C accelerator: the encoder itself
        return _DIGEST_JSON.encode
    options = _DIGEST_JSON
    encode = json_encoder.c_make_encoder(
        None,  # markers: no circular-reference check
        options.default,
        json_encoder.encode_basestring,  # ensure_ascii=False's
        options.indent,
        options.key_separator,
        options.item_separator,
        options.sort_keys,
        options.skipkeys,
        options.allow_nan,
    )
    return lambda value: "".join(encode(value, 0))


_digest_text = _digest_text_maker()


def body_digest(kind: str, body: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a validated body (instants in UTC, nulls dropped)."""
    if kind in KINDS and type(body) is dict:
        # A record's body holds no floats (see its schemas' test), the one type orjson writes
        # differently: the same text at a fraction of the cost, 500 digests a sync.
        try:
            text = orjson.dumps(
                {"kind": kind, "body": _nulls_dropped(body)},
                default=_instant_text,
                option=orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME,
            )
        except TypeError:  # a value orjson does not write (a huge integer, a lone surrogate)
            pass
        else:
            return hashlib.sha256(text).hexdigest()
    text = _digest_text({"kind": kind, "body": _canonical(body)})
    return hashlib.sha256(text.encode()).hexdigest()


def _nulls_dropped(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` without its null entries at any depth, copied only where it holds a container
    or a null; the rest of :func:`_canonical`'s steps orjson and :func:`_instant_text` do."""
    for value in body.values():
        if value is None or type(value) is list or type(value) is dict:
            return {str(k): _nested_nulls_dropped(v) for k, v in body.items() if v is not None}
    return body


def _nested_nulls_dropped(value: Any) -> Any:
    if type(value) is dict:
        return {str(k): _nested_nulls_dropped(v) for k, v in value.items() if v is not None}
    if type(value) is list:
        return [_nested_nulls_dropped(v) for v in value]
    return value


def _instant_text(value: Any) -> str:
    """orjson's hook for what it is told to pass through: an instant in UTC, a date as is."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError
