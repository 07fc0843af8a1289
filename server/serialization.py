"""Output fields the domains' schemas share, each documented with a precise JSON type."""

from __future__ import annotations

from datetime import UTC
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
