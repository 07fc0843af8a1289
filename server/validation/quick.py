"""``schema.load`` made quick for clean input (:func:`quick_loader`): a 500-item sync loads 500
bodies, and marshmallow's per-load machinery was a fifth of its time."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import marshmallow as ma
from marshmallow import fields

from server.validation import (
    SANE_DATES,
    SANE_INSTANTS,
    OptionalList,
    SaneDate,
    SaneInstant,
    Text,
    storable,
)

ISO = (None, "iso", "iso8601")  # marshmallow parses these with fromisoformat


class _Unsure(Exception):
    """A value the quick loader does not vouch for: marshmallow decides (and words the error)."""


def _raise_unsure(*_: Any) -> Any:
    raise _Unsure


def _quick_uuid(field: Any) -> Callable[[Any], Any]:
    return lambda value: uuid.UUID(value) if type(value) is str else _raise_unsure()


def _quick_integer(field: Any) -> Callable[[Any], Any]:
    return lambda value: value if type(value) is int else _raise_unsure()  # bool is not int


def _quick_boolean(field: Any) -> Callable[[Any], Any]:
    if field.truthy and not (True in field.truthy and False in field.falsy):
        return _raise_unsure
    return lambda value: value if value is True or value is False else _raise_unsure()


def _quick_string(field: Any) -> Callable[[Any], Any]:
    return lambda value: value if type(value) is str else _raise_unsure()


def _quick_text(field: Any) -> Callable[[Any], Any]:
    def convert(value: Any) -> str:
        if type(value) is not str:
            raise _Unsure
        storable(value)
        return value

    return convert


def _quick_iso(
    field: Any, parse: Callable[[str], Any], sane: Callable[[Any], Any], *, aware: bool = False
) -> Callable[[Any], Any]:
    """An ISO date or instant parsed as marshmallow's "iso" format does, then range-checked."""
    if field.format not in ISO:
        return _raise_unsure

    def convert(value: Any) -> Any:
        if type(value) is not str:
            raise _Unsure
        storable(value)
        parsed = parse(value)
        if aware and (parsed.tzinfo is None or parsed.tzinfo.utcoffset(parsed) is None):
            raise _Unsure
        sane(parsed)
        return parsed

    return convert


def _quick_instant(field: Any) -> Callable[[Any], Any]:
    return _quick_iso(field, datetime.fromisoformat, SANE_INSTANTS, aware=True)


def _quick_date(field: Any) -> Callable[[Any], Any]:
    return _quick_iso(field, date.fromisoformat, SANE_DATES)


def _quick_list(field: Any) -> Callable[[Any], Any]:
    inner = _quick_value(field.inner)
    if inner is None:
        return _raise_unsure
    return lambda value: [inner(v) for v in value] if type(value) is list else _raise_unsure()


def _quick_nested(field: Any) -> Callable[[Any], Any]:
    if field.many or field.unknown is not None or not isinstance(field.schema, ma.Schema):
        return _raise_unsure
    load = quick_loader(field.schema)
    return lambda value: load(value) if type(value) is dict else _raise_unsure()


# Exact classes only: a subclass may convert differently and is left to marshmallow.
_QUICK: dict[type, Callable[[Any], Callable[[Any], Any]]] = {
    fields.UUID: _quick_uuid,
    fields.Integer: _quick_integer,
    fields.Boolean: _quick_boolean,
    fields.String: _quick_string,
    Text: _quick_text,
    SaneInstant: _quick_instant,
    SaneDate: _quick_date,
    fields.List: _quick_list,
    OptionalList: _quick_list,
    fields.Nested: _quick_nested,
}


def _quick_parts(field: Any) -> tuple[Callable[[Any], Any], tuple[Any, ...], bool] | None:
    """A present value's conversion, validators and whether null is allowed, or None where
    marshmallow must do it."""
    make = _QUICK.get(type(field))
    if make is None:
        return None
    allow_none = field.allow_none and type(field) is not OptionalList  # there null = left out
    return make(field), tuple(field.validators), allow_none


def _quick_value(field: Any) -> Callable[[Any], Any] | None:
    """``field.deserialize`` for a present value, or None where marshmallow must do it."""
    parts = _quick_parts(field)
    if parts is None:
        return None
    convert, validators, allow_none = parts

    def checked(value: Any) -> Any:
        if value is None:
            if allow_none:
                return None
            raise _Unsure
        out = convert(value)
        for validator in validators:
            if validator(out) is False:
                raise _Unsure
        return out

    return checked


def _quick_field(name: str, field: Any) -> tuple[str, str, Callable[[Any, Any], Any]]:
    """(data key, attribute, convert(value or missing, data)) of one field."""
    key, attribute = field.data_key if field.data_key is not None else name, field.attribute or name
    parts = _quick_parts(field)
    if parts is None:  # marshmallow's own field, called as its schema would call it

        def exact(value: Any, data: Any) -> Any:
            return field.deserialize(value, key, data)

        return key, attribute, exact
    convert, validators, allow_none = parts
    default, required = field.load_default, field.required
    null_is_left_out = type(field) is OptionalList
    missing = ma.missing

    def quick(value: Any, data: Any) -> Any:
        """A missing value as :func:`_quick_field`'s, a present one as :func:`_quick_value`'s
        (inlined: a frame less for each of a sync's two thousand fields)."""
        if value is missing or (value is None and null_is_left_out):
            if required:
                raise _Unsure
            return default() if callable(default) else default
        if value is None:
            if allow_none:
                return None
            raise _Unsure
        out = convert(value)
        for validator in validators:
            if validator(out) is False:
                raise _Unsure
        return out

    return key, attribute, quick


def quick_loader(
    schema: ma.Schema, fallback: Callable[[Any], Any] | None = None
) -> Callable[[Any], dict[str, Any]]:
    """``schema.load`` made quick for clean input: each field is converted as marshmallow would,
    without the schema's per-load machinery. Anything it is not sure of (a wrong type, a value
    a validator refuses, an unknown field, …) is loaded by ``schema.load`` itself, so errors,
    and what a lenient field accepts, stay marshmallow's own.

    A schema with hooks, a non-default ``unknown``/``partial``/``many`` or dotted attributes
    is always loaded by marshmallow (``fallback``, by default ``schema.load``).
    """
    exact = fallback or schema.load
    plain = (
        not schema.many
        and not schema.partial
        and schema.unknown == ma.RAISE
        and not any(schema._hooks.values())
        and not any("." in (f.attribute or "") for f in schema.load_fields.values())
    )
    if not plain:
        return exact
    steps = [_quick_field(name, field) for name, field in schema.load_fields.items()]
    known = frozenset(key for key, _, _ in steps)
    missing = ma.missing

    def load(data: Any) -> dict[str, Any]:
        if type(data) is dict and known.issuperset(data):
            try:
                loaded = {}
                for key, attribute, convert in steps:
                    value = convert(data.get(key, missing), data)
                    if value is not missing:
                        loaded[attribute] = value
                return loaded
            except Exception:  # noqa: S110 - marshmallow decides, below
                pass
        return exact(data)

    return load


class QuickLoad:
    """A schema whose plain ``load`` is :func:`quick_loader`'s: a record's body, posted alone
    (through webargs) or in a sync, skips marshmallow's per-load machinery when it is clean."""

    def load(self, data: Any, *, many: Any = None, partial: Any = None, unknown: Any = None) -> Any:
        exact = super().load  # type: ignore[misc]
        if many is not None or partial is not None or unknown is not None:
            return exact(data, many=many, partial=partial, unknown=unknown)
        quick = self.__dict__.get("_quick_load")
        if quick is None:
            quick = self.__dict__["_quick_load"] = quick_loader(self, exact)  # type: ignore[arg-type]
        return quick(data)
