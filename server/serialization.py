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
        return aware.isoformat(timespec="microseconds")


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

    def dump(obj: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, name, field, kind, path in steps:
            if kind == "marshmallow":
                value = field.serialize(name, obj, accessor=schema.get_attribute)
                if value is not missing:
                    out[key] = value
                continue
            value = _get_value(obj, path)
            if value is missing:
                default = field.dump_default
                value = default() if callable(default) else default
                if value is missing:
                    continue
            if kind == "value":
                out[key] = field._serialize(value, name, obj)
            elif value is None:
                out[key] = None
            elif kind == "nested":
                out[key] = _plan_of(field)(value)
            else:
                plan = _plan_of(field.inner)
                out[key] = [None if each is None else plan(each) for each in value]
        return out

    return dump


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


def _get_value(obj: Any, path: tuple[str, ...]) -> Any:
    """``marshmallow.utils.get_value`` along a dotted path, already split."""
    for part in path:
        if not hasattr(obj, "__getitem__"):
            obj = getattr(obj, part, missing)
            continue
        try:
            obj = obj[part]
        except (KeyError, IndexError, TypeError, AttributeError):
            obj = getattr(obj, part, missing)
    return obj
