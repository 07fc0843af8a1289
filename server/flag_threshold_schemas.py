"""Flag threshold overrides as the API takes and shows them (clinic settings, programmes)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from server.flag_thresholds import (
    DEFAULT_THRESHOLDS,
    INTEGER_THRESHOLDS,
    LIMITS,
    SOURCES,
    THRESHOLD_NAMES,
)


class JsonNumber(fields.Float):
    """A JSON number only: a string such as ``"9"`` is refused, not converted."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


def _threshold_field(name: str, **options: Any) -> fields.Field:
    """One threshold: its type, its sane range and its default in the spec."""
    low, high = LIMITS[name]
    default = getattr(DEFAULT_THRESHOLDS, name)
    metadata = {"description": f"Default {default:g}; {low:g} to {high:g}."}
    limits = validate.Range(min=low, max=high)
    if name in INTEGER_THRESHOLDS:
        return fields.Integer(strict=True, validate=limits, metadata=metadata, **options)
    return JsonNumber(allow_nan=False, validate=limits, metadata=metadata, **options)


FlagThresholdsIn = ma.Schema.from_dict(
    {name: _threshold_field(name, allow_none=True) for name in THRESHOLD_NAMES},
    name="FlagThresholdsIn",
)
FlagThresholdsIn.__doc__ = (
    "Any subset of the flag thresholds: a number overrides, null removes the override (the next "
    "level down applies again), a key left out stays as it was; an unknown key is refused."
)

FlagThresholdOverrides = ma.Schema.from_dict(
    {name: _threshold_field(name) for name in THRESHOLD_NAMES}, name="FlagThresholdOverrides"
)
FlagThresholdOverrides.__doc__ = (
    "Overrides of flag thresholds; a threshold not listed is not overridden."
)


class ThresholdInForceOut(ma.Schema):
    """A threshold in force and where it came from."""

    value = fields.Float(required=True)
    source = fields.String(required=True, validate=validate.OneOf(SOURCES))


ThresholdsInForceOut = ma.Schema.from_dict(
    {name: fields.Nested(ThresholdInForceOut, required=True) for name in THRESHOLD_NAMES},
    name="ThresholdsInForceOut",
)
ThresholdsInForceOut.__doc__ = "Every flag threshold in force, with its source."
