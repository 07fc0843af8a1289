"""Input fields every schema shares, so hostile input is a 422 naming the field, never a 500.

``Text`` (and ``Email``, ``Url``) refuse what no database can store; ``SaneDate`` and
``SaneInstant`` refuse dates that local-time arithmetic cannot reach. Input schemas use these
instead of marshmallow's ``String``, ``Email``, ``Url``, ``Date`` and ``AwareDateTime``.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

# Far-off dates would overflow local-time arithmetic; no programme data lies outside these.
SANE_DATES = validate.Range(
    min=date(2000, 1, 1), max=date(2100, 12, 31), error="Must be between 2000-01-01 and 2100-12-31."
)
SANE_INSTANTS = validate.Range(
    min=datetime(2000, 1, 1, tzinfo=UTC),
    max=datetime(2101, 1, 1, tzinfo=UTC),
    max_inclusive=False,
    error="Must be between 2000-01-01 and 2100-12-31 (UTC).",
)


def storable(value: str) -> None:
    """Refuse text no database can store: NUL characters (PostgreSQL text and JSONB reject
    them) and lone UTF-16 surrogates (not encodable as UTF-8).
    """
    if "\x00" in value:
        raise ma.ValidationError("Must not contain NUL characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ma.ValidationError("Must be valid Unicode text.") from error


NO_NUL_PATTERN = "^[^\\u0000]*$"


class Text(fields.String):
    """A string every database can store (checked before any other validator); the spec says
    so with a pattern, unless a validator's own pattern already rules NUL out."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not any(isinstance(v, validate.Regexp) for v in self.validators):
            self.metadata = {"pattern": NO_NUL_PATTERN, **self.metadata}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        storable(text)
        return text


# Characters that show as nothing (zero-width space, joiners, BOM, soft hyphen …: Unicode's
# "format" category) could make two addresses look the same.
INVISIBLE = "Cf"


def email_problems(email: str) -> list[str]:
    """Why an address cannot name an account: after NFKC (``ａ`` → ``a``), no invisible
    characters and nothing outside ASCII, so two accounts can never look alike (a Cyrillic
    ``а`` in ``pаtient@…``); an internationalised domain is written in its ``xn--`` form."""
    normal = unicodedata.normalize("NFKC", email)
    if any(unicodedata.category(c) == INVISIBLE for c in normal):
        return ["Must not contain invisible characters."]
    if not normal.isascii():
        return ["Use plain ASCII letters (an internationalised domain in its xn-- form)."]
    return []


class Email(Text, fields.Email):
    """An email address every database can store, NFKC-normalised, refused when it holds
    invisible or look-alike characters (:func:`email_problems`)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if isinstance(value, str) and (problems := email_problems(value)):
            raise ma.ValidationError(problems)
        normal = unicodedata.normalize("NFKC", value) if isinstance(value, str) else value
        return super()._deserialize(normal, attr, data, **kwargs)


class Url(Text, fields.Url):
    """A URL every database can store, documented as a URI of its schemes."""

    def __init__(self, *, schemes: set[str] | None = None, **kwargs: Any) -> None:
        super().__init__(schemes=schemes, **kwargs)
        pattern = f"^({'|'.join(sorted(schemes or {'http', 'https'}))})://"
        self.metadata = {**self.metadata, "format": "uri", "pattern": pattern}


class SaneDate(fields.Date):
    """A calendar date within ``SANE_DATES`` (a year pattern says so in the spec)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        bounds = {"pattern": r"^(20\d\d|2100)-", "description": "2000-01-01 to 2100-12-31."}
        self.metadata = {**bounds, **self.metadata}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> date:
        if isinstance(value, str):
            storable(value)  # Python's ISO parser stops at a NUL and takes what came before
        day = super()._deserialize(value, attr, data, **kwargs)
        SANE_DATES(day)
        return day


class SaneInstant(fields.AwareDateTime):
    """An instant with an offset within ``SANE_INSTANTS`` (UTC conversions cannot overflow)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        bounds = "With an offset; from 2000-01-01 to 2100-12-31 in UTC."
        self.metadata = {"description": bounds, **self.metadata}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> datetime:
        if isinstance(value, str):
            storable(value)  # Python's ISO parser stops at a NUL and takes what came before
        instant = super()._deserialize(value, attr, data, **kwargs)
        SANE_INSTANTS(instant)
        return instant


class StrictBoolean(fields.Boolean):
    """A JSON ``true``/``false`` only (no ``"yes"``, ``1`` or ``"true"``)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise ma.ValidationError("Not a valid boolean: use true or false.")
        return value


def strict_integers(schema: ma.Schema) -> ma.Schema:
    """Make every integer field of a JSON body's schema (nested ones too) take a JSON integer
    only: marshmallow's default ``Integer`` truncates ``2.589e-42`` to 0 and ``7.9`` to 7 and
    takes ``"7"``. Applied by the request parser to every JSON body, so the schemas need not
    each say ``strict=True`` (query strings keep their text-to-number conversion). Idempotent.
    """
    seen: set[int] = set()

    def visit(field: Any) -> None:
        if field is None or id(field) in seen:
            return
        seen.add(id(field))
        if isinstance(field, fields.Integer):
            field.strict = True
        elif isinstance(field, fields.Nested):
            visit_schema(field.schema)
        elif isinstance(field, fields.List):
            visit(field.inner)
        elif isinstance(field, fields.Tuple):
            for inner in field.tuple_fields:
                visit(inner)
        elif isinstance(field, fields.Dict):
            visit(field.value_field)

    def visit_schema(inner: ma.Schema) -> None:
        for field in inner.fields.values():
            visit(field)

    # The parser calls this on every JSON body: a schema instance reused across requests (as
    # the routes pass them) is walked once.
    if not getattr(schema, "_integers_made_strict", False):
        visit_schema(schema)
        schema._integers_made_strict = True  # type: ignore[attr-defined]
    return schema


class OptionalList(fields.List):
    """An optional list for which JSON ``null`` means the same as leaving the field out (its
    ``load_default``): phone serialisers often write ``null`` for an empty optional field, and a
    record must not be refused, or digested differently, for it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, allow_none=True, **kwargs)

    def deserialize(self, value: Any, attr: str | None = None, data: Any = None, **kwargs: Any):
        return super().deserialize(ma.missing if value is None else value, attr, data, **kwargs)
