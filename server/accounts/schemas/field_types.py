"""Field types the accounts schemas share (and clinics reuses): clock times, time zones,
names, languages, birth years."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from server.accounts.models import LANGUAGES
from server.accounts.rules import (
    CLOCK_PATTERN,
    iana_timezones,
    is_iana_timezone,
    parse_clock,
    timezone_identifier,
)
from server.clock import format_hhmm, utcnow
from server.validation import Text


class ClockTime(fields.String):
    """A local wall-clock time as ``"HH:MM"``."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"pattern": CLOCK_PATTERN, "example": "08:30", **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else format_hhmm(value)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, str):
            raise ma.ValidationError("Not a valid time: use HH:MM.")
        try:
            return parse_clock(value)
        except ValueError as error:
            raise ma.ValidationError(str(error)) from None


def _timezone(value: str) -> None:
    if not is_iana_timezone(value):
        raise ma.ValidationError("Not a known IANA time zone, e.g. Europe/Istanbul.")


def _birth_year(value: int) -> None:
    if not 1900 <= value <= utcnow().year:
        raise ma.ValidationError(f"Must be between 1900 and {utcnow().year}.")


def name_field(**options: Any) -> Text:
    return Text(validate=validate.Length(min=1, max=200), **options)


def language_field(**options: Any) -> Text:
    return Text(validate=validate.OneOf(LANGUAGES), **options)


def optional_language(description: str) -> Text:
    """A language that may be left out or null, documented as the shared ``Language`` enum."""
    metadata = {"enum_name": "Language", "description": description}
    return Text(load_default=None, validate=validate.OneOf(LANGUAGES), metadata=metadata)


def time_zone(**options: Any) -> Text:
    """A field for an IANA time zone, documented as the ``TimeZone`` enum."""
    zones = iana_timezones()
    metadata = {
        "enum": zones,
        "enum_name": "TimeZone",
        "x-enum-varnames": [timezone_identifier(zone) for zone in zones],
        "example": "Europe/Istanbul",
    }
    return Text(validate=[validate.Length(max=64), _timezone], metadata=metadata, **options)


def birth_year_field() -> fields.Integer:
    limits = {"minimum": 1900, "maximum": utcnow().year}  # the spec's bounds as of today
    return fields.Integer(strict=True, allow_none=True, validate=_birth_year, metadata=limits)
