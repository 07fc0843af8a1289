"""``schema.load`` made quick for clean input (:func:`quick_loader`): a 500-item sync loads 500
bodies, and marshmallow's per-load machinery was a fifth of its time."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

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


def _field_source(i: int, name: str, field: Any, names: dict[str, Any]) -> list[str]:
    """The lines of the generated ``load`` that set one field's value, as :func:`_quick_value`
    converts a present value, with a missing or null one as the field would take it."""
    key, attribute = field.data_key if field.data_key is not None else name, field.attribute or name
    parts = _quick_parts(field)
    if parts is None:  # marshmallow's own field, called as its schema would call it
        names[f"exact_{i}"] = lambda value, data: field.deserialize(value, key, data)
        return [
            f"value = exact_{i}(get({key!r}, missing), data)",
            "if value is not missing:",
            f"    loaded[{attribute!r}] = value",
        ]
    convert, validators, allow_none = parts
    default = field.load_default
    absent = "value is missing" + (" or value is None" if type(field) is OptionalList else "")
    lines = [f"value = get({key!r}, missing)", f"if {absent}:"]
    if field.required:
        lines.append("    raise _Unsure")
    elif default is ma.missing:
        lines.append("    pass")
    else:
        names[f"default_{i}"] = default
        lines.append(f"    loaded[{attribute!r}] = default_{i}{'()' if callable(default) else ''}")
    lines += [
        "elif value is None:",
        f"    loaded[{attribute!r}] = None" if allow_none else "    raise _Unsure",
    ]
    lines.append("else:")
    lines += ["    " + line for line in _convert_source(i, field, convert, names)]
    for j, validator in enumerate(validators):
        lines += ["    " + line for line in _validator_source(f"{i}_{j}", validator, names)]
    return [*lines, f"    loaded[{attribute!r}] = out"]


# The conversions written out: each is its _QUICK function's, without the call (text's
# encoding is checked only outside ASCII: ASCII text always encodes).
_TEXT = ['if type(value) is not str or "\\x00" in value:', "    raise _Unsure"]
_TEXT += ["if not value.isascii():", "    storable(value)"]
_INLINE = {
    fields.UUID: ["if type(value) is not str:", "    raise _Unsure", "out = UUID(value)"],
    fields.Integer: ["if type(value) is not int:", "    raise _Unsure", "out = value"],
    fields.String: ["if type(value) is not str:", "    raise _Unsure", "out = value"],
    Text: [*_TEXT, "out = value"],
}
# ISO instants and dates: parsed, an instant's offset required, then held to the sane range.
_ISO = {SaneInstant: ("instant", SANE_INSTANTS), SaneDate: ("day", SANE_DATES)}


def _convert_source(i: int, field: Any, convert: Any, names: dict[str, Any]) -> list[str]:
    if type(field) in _INLINE:
        return _INLINE[type(field)]
    if type(field) in _ISO and field.format in ISO:
        kind, sane = _ISO[type(field)]
        names["parse_instant"], names["parse_day"] = datetime.fromisoformat, date.fromisoformat
        lines = [*_TEXT, f"out = parse_{kind}(value)"]
        if kind == "instant":
            lines += [
                "if out.tzinfo is None or out.tzinfo.utcoffset(out) is None:",
                "    raise _Unsure",
            ]
        return lines + _validator_source(f"{i}_sane", sane, names)
    names[f"convert_{i}"] = convert
    return [f"out = convert_{i}(value)"]


def _validator_source(suffix: str, validator: Any, names: dict[str, Any]) -> list[str]:
    """A validator's check: Range and OneOf written out as their ``__call__`` tests."""
    if type(validator) is validate.Range:
        tests = []
        if validator.min is not None:
            names[f"min_{suffix}"] = validator.min
            tests.append(f"out {'<' if validator.min_inclusive else '<='} min_{suffix}")
        if validator.max is not None:
            names[f"max_{suffix}"] = validator.max
            tests.append(f"out {'>' if validator.max_inclusive else '>='} max_{suffix}")
        return [f"if {' or '.join(tests)}:", "    raise _Unsure"] if tests else []
    if type(validator) is validate.OneOf:
        names[f"choices_{suffix}"] = validator.choices
        return [f"if out not in choices_{suffix}:", "    raise _Unsure"]
    names[f"validator_{suffix}"] = validator
    return [f"if validator_{suffix}(out) is False:", "    raise _Unsure"]


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
    # One function written for the schema, each field's steps in its body: a call or two a
    # field fewer than a closure per step, for each of a sync's two thousand fields.
    keys = [f.data_key if f.data_key is not None else n for n, f in schema.load_fields.items()]
    names: dict[str, Any] = {"exact": exact, "missing": ma.missing, "_Unsure": _Unsure}
    names |= {"UUID": uuid.UUID, "storable": storable, "known": frozenset(keys)}
    body = []
    for i, (name, field) in enumerate(schema.load_fields.items()):
        body += _field_source(i, name, field, names)
    source = "\n".join(
        [
            "def load(data):",
            "    if type(data) is dict and known.issuperset(data):",
            "        get, loaded = data.get, {}",
            "        try:",
            *("            " + line for line in body),
            "            return loaded",
            "        except Exception:  # marshmallow decides, below",
            "            pass",
            "    return exact(data)",
        ]
    )
    exec(compile(source, f"<quick load of {type(schema).__name__}>", "exec"), names)  # noqa: S102
    return names["load"]


class QuickLoad:
    """A schema whose plain ``load`` is :func:`quick_loader`'s: a record's body, posted alone
    (through webargs) or in a sync, skips marshmallow's per-load machinery when it is clean."""

    def load(self, data: Any, *, many: Any = None, partial: Any = None, unknown: Any = None) -> Any:
        if many is not None or partial is not None or unknown is not None:
            return super().load(data, many=many, partial=partial, unknown=unknown)  # type: ignore[misc]
        return self.quick_load()(data)

    def quick_load(self) -> Callable[[Any], dict[str, Any]]:
        """The plain ``load`` itself, made on first use: a sync calls it 500 times."""
        quick = self.__dict__.get("_quick_load")
        if quick is None:
            exact = super().load  # type: ignore[misc]
            quick = self.__dict__["_quick_load"] = quick_loader(self, exact)  # type: ignore[arg-type]
        return quick
