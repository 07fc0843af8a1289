"""Output fields the domains' schemas share, each documented with a precise JSON type."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from marshmallow import Schema, fields, missing

# A value a rule recorded as evidence: a number, text, a date, a flag, or a list of those.
_SCALAR = [{"type": "number"}, {"type": "string"}, {"type": "boolean"}, {"type": "null"}]
JSON_SCALAR_OR_LIST = {
    "oneOf": [*_SCALAR, {"type": "array", "items": {"oneOf": _SCALAR[:3]}}],
}


class Whole(fields.Nested):
    """A nested object dumped from the whole parent (a view over several attributes of it)."""

    def __init__(self, nested: Any, *, through: str | None = None, **kwargs: Any) -> None:
        super().__init__(nested, **kwargs)
        self.through = through

    def get_value(self, obj: Any, attr: str, accessor: Any = None, default: Any = missing) -> Any:
        return getattr(obj, self.through) if self.through else obj


class EvidenceValue(fields.Raw):
    """A scalar or a list of scalars, as a rule recorded it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(metadata={**JSON_SCALAR_OR_LIST, **kwargs.pop("metadata", {})}, **kwargs)


class TaggedUnion(fields.Raw):
    """A ``{tag: …, body: {…}}`` object whose body's schema depends on the tag. Loaded as is
    (each item is validated later, on its own); documented as a discriminated ``oneOf``."""

    def __init__(
        self,
        variants: dict[str, type[Any]],
        *,
        tag: str = "kind",
        body: str = "data",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.variants, self.tag, self.body = variants, tag, body


class Instant(fields.AwareDateTime):
    """An instant with its offset and always microseconds, so every timestamp has one shape."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        # Its microseconds written by default (a fifth cheaper) unless they are none.
        return aware.isoformat() if aware.microsecond else aware.isoformat(timespec="microseconds")


# Every ratio (0–1) and every mean pain is rounded alike, wherever it is shown.
RATIO_PLACES, MEAN_PLACES = 3, 2


class Rounded(fields.Float):
    """A float rounded for display (ratios, means)."""

    def __init__(self, places: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.places = places

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else round(float(value), self.places)


class Compiled(fields.Nested):
    """A nested object (or, in a ``List``, many) dumped by a plan made once from its schema
    (:func:`dump_plan`): the same output as ``Nested``, without the per-value layers of
    ``Schema.dump`` (a page of 200 patients has 4,000 values)."""

    def _serialize(self, nested_obj: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        if nested_obj is None:
            return None
        plan = _plan_of(self)
        if self.schema.many or self.many:
            return [plan(each) for each in nested_obj]
        return plan(nested_obj)


def _plan_of(field: fields.Nested) -> Any:
    plan = field.__dict__.get("_dump_plan")
    if plan is None:
        plan = field.__dict__["_dump_plan"] = dump_plan(field.schema)
    return plan


def _looks_up_plainly(field: fields.Field) -> bool:
    return (
        field._CHECK_ATTRIBUTE
        and type(field).get_value is fields.Field.get_value
        and type(field).serialize is fields.Field.serialize
    )


def _single_nested(field: Any) -> bool:
    return type(field) in (fields.Nested, Compiled) and not (field.many or field.schema.many)


def dump_plan(schema: Schema, exact: Any = None) -> Any:
    """``schema.dump`` of one object, as a function made once: each field is given the value
    marshmallow's accessor would find and formats it with its own ``_serialize``; nested
    schemas (``Nested``, a ``List`` of them) get plans of their own. A schema with dump hooks
    or its own accessor, and a field that finds its value its own way, go through marshmallow
    (``exact``, by default ``schema.dump``).
    """
    if schema._hooks or type(schema).get_attribute is not Schema.get_attribute:
        return exact or schema.dump
    steps = []
    for name, field in schema.dump_fields.items():
        kind = "marshmallow"
        if _looks_up_plainly(field):
            kind = "value"
            if _single_nested(field):
                kind = "nested"
            elif isinstance(field, fields.Nested):
                kind = "marshmallow"
            elif type(field) is fields.List and _single_nested(field.inner):
                kind = "list"
        path = tuple((field.attribute or name).split("."))
        steps.append((field.data_key or name, name, field, kind, path))

    return _compiled(steps, schema)


class PlannedDump:
    """A schema whose ``dump`` of one object is its :func:`dump_plan`: the answer to every
    record a phone posts, without marshmallow's per-value layers."""

    def dump(self, obj: Any, *, many: bool | None = None) -> Any:
        exact = super().dump  # type: ignore[misc]
        if many or (many is None and self.many):  # type: ignore[attr-defined]
            return exact(obj, many=many)
        plan = self.__dict__.get("_dump_plan")
        if plan is None:
            plan = self.__dict__["_dump_plan"] = dump_plan(self, exact)  # type: ignore[arg-type]
        return plan(obj)


def _lookup(obj: Any, part: str) -> Any:
    """``marshmallow.utils.get_value`` of one key: an item if ``obj`` has one, else an attribute."""
    try:
        return obj[part]
    except (KeyError, IndexError, TypeError, AttributeError):
        return getattr(obj, part, missing)


def _compiled(steps: list[tuple[Any, ...]], schema: Schema) -> Any:
    """The plan's ``dump`` as straight-line Python, compiled once: each object along a field's
    path looked up once for every field under it, and no loop over the fields or branch on
    their kinds per value (a page of 200 patients runs it 600 times)."""
    names: dict[str, Any] = {"missing": missing, "lookup": _lookup}
    lines = ["def dump(obj):", "    out = {}"]
    # Each object on a path, by its path: the local holding it, looked up at its first use, and
    # the locals saying whether it has items (then looked up as marshmallow does, item first)
    # and whether it is a plain dict (then an item or nothing: ``get``).
    bases: dict[tuple[str, ...], str] = {}

    def base_of(path: tuple[str, ...]) -> str:
        if path not in bases:
            value = "obj" if not path else _look_up(base_of(path[:-1]), path[-1])
            local = bases[path] = f"b{len(bases)}"
            lines.append(f"    {local} = {value}; {local}_items = hasattr({local}, '__getitem__')")
            lines.append(f"    {local}_dict = {local}.__class__ is dict")
        return bases[path]

    for i, (key, name, field, kind, path) in enumerate(steps):
        names[f"f{i}"] = field
        if kind == "marshmallow":
            lines += [
                f"    v = f{i}.serialize({name!r}, obj, accessor=get_attribute)",
                f"    if v is not missing: out[{key!r}] = v",
            ]
            names["get_attribute"] = schema.get_attribute
            continue
        lines.append(f"    v = {_look_up(base_of(path[:-1]), path[-1])}")
        default = field.dump_default
        if default is not missing:
            names[f"d{i}"] = default
            lines.append(f"    if v is missing: v = d{i}{'()' if callable(default) else ''}")
        if kind == "value":
            names[f"s{i}"], names[f"t{i}"] = field._serialize, _kept_as_is(field)
            value = f"s{i}(v, {name!r}, obj)"
            if names[f"t{i}"] is object:
                value = "v"
            elif names[f"t{i}"] is not None:
                value = f"v if v.__class__ is t{i} else {value}"
        elif kind == "nested":
            names[f"p{i}"] = _first_plan_of(field, names, f"p{i}")
            value = f"None if v is None else p{i}(v)"
        else:
            names[f"p{i}"] = _first_plan_of(field.inner, names, f"p{i}")
            value = f"None if v is None else [None if e is None else p{i}(e) for e in v]"
        lines.append(f"    if v is not missing: out[{key!r}] = {value}")
    lines.append("    return out")
    exec("\n".join(lines), names)  # noqa: S102 (the text is made above from field names only)
    return names["dump"]


def _first_plan_of(field: fields.Nested, names: dict[str, Any], name: str) -> Any:
    """The nested ``field``'s plan, made at its first value (a schema may nest itself), then
    put in the plan's ``name`` for the next values to call directly."""

    def first(value: Any) -> Any:
        plan = names[name] = _plan_of(field)
        return plan(value)

    return first


def _kept_as_is(field: fields.Field) -> type | None:
    """The type of value ``field`` dumps unchanged (``object``: any value), if there is one:
    the plan skips its ``_serialize`` for values of exactly that type (most of a page's)."""
    serialize = type(field)._serialize
    if serialize is fields.Field._serialize:  # Boolean, Raw: the value as it is
        return object
    if serialize in (fields.String._serialize, fields.UUID._serialize):
        return str  # str(text) is the text
    plain_number = serialize is fields.Number._serialize and not field.as_string  # type: ignore[attr-defined]
    if plain_number and type(field)._format_num is fields.Number._format_num:  # type: ignore[attr-defined]
        return field.num_type if field.num_type is int else None  # type: ignore[attr-defined]
    return None


def _look_up(local: str, part: str) -> str:
    """The expression for ``marshmallow.utils.get_value(local, part)``: an attribute where
    the object has no items (most often), an item or nothing of a plain dict whose class has
    no such attribute, else an item first."""
    items = f"lookup({local}, {part!r})"
    if not hasattr(dict, part):
        items = f"({local}.get({part!r}, missing) if {local}_dict else {items})"
    return f"{items} if {local}_items else getattr({local}, {part!r}, missing)"
