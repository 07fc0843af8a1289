"""Output fields the domains' schemas share, each documented with a precise JSON type."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, missing

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
