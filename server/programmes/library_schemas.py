"""Schemas of the exercise library: an exercise, its progression ladder and dosage, as seed
files, API bodies and answers; the programme schemas build on them."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from server.pagination import PageArgs, page_of
from server.serialization import Instant
from server.validation import StrictBoolean, Text, Url

SLUG = validate.Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", error="Use lowercase letters, digits, '-'.")

NAME = validate.Regexp(r"^[a-z][a-z0-9_]{0,39}$", error="Use lowercase letters, digits, '_'.")

LANGUAGES = ("en", "tr")

MAX_LADDER_LEVELS = 10


class LocalizedTextIn(ma.Schema):
    """Patient-facing text in every supported language."""

    en = Text(required=True, validate=validate.Length(min=1, max=4000))
    tr = Text(required=True, validate=validate.Length(min=1, max=4000))


class TargetIn(ma.Schema):
    """A measurable target of a ladder level, e.g. ``{kind: pressure, value: 22, unit: mmHg}``."""

    kind = Text(required=True, validate=NAME)
    value = fields.Float(required=True, validate=validate.Range(min=0, max=10000))
    unit = Text(load_default=None, allow_none=True, validate=validate.Length(max=20))


class DosageIn(ma.Schema):
    sets = fields.Integer(required=True, validate=validate.Range(min=1, max=20))
    reps = fields.Integer(required=True, validate=validate.Range(min=1, max=200))
    hold_seconds = fields.Integer(load_default=0, validate=validate.Range(min=0, max=600))
    rest_seconds = fields.Integer(load_default=0, validate=validate.Range(min=0, max=600))
    target = fields.Nested(TargetIn, load_default=None, allow_none=True)


class LadderLevelIn(DosageIn):
    level = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_LADDER_LEVELS))


class DosageOverrideIn(ma.Schema):
    """Per-item changes on top of the ladder level; only the given keys apply."""

    sets = fields.Integer(validate=validate.Range(min=1, max=20))
    reps = fields.Integer(validate=validate.Range(min=1, max=200))
    hold_seconds = fields.Integer(validate=validate.Range(min=0, max=600))
    rest_seconds = fields.Integer(validate=validate.Range(min=0, max=600))
    target = fields.Nested(TargetIn, allow_none=True)

    @ma.validates_schema
    def _not_empty(self, data: dict[str, Any], **_: Any) -> None:
        if not data:
            raise ma.ValidationError("Give at least one dosage field, or null.", "_schema")


class ExerciseIn(ma.Schema):
    """A clinic's own exercise (API) or a library entry (seed)."""

    EXAMPLE = {
        "slug": "wall-angel",
        "category": "mobility",
        "name": {"en": "Wall angel", "tr": "Duvar meleği"},
        "instructions": {
            "en": "Back against a wall, slide the arms up and down.",
            "tr": "Sırtınız duvara dayalı, kollarınızı yukarı aşağı kaydırın.",
        },
        "ladder": [
            {"level": 1, "sets": 2, "reps": 8},
            {"level": 2, "sets": 3, "reps": 10},
            {"level": 3, "sets": 3, "reps": 12, "hold_seconds": 3},
        ],
    }

    slug = Text(required=True, validate=[validate.Length(min=2, max=80), SLUG])
    category = Text(required=True, validate=NAME)
    name = fields.Nested(LocalizedTextIn, required=True)
    instructions = fields.Nested(LocalizedTextIn, required=True)
    media_urls = fields.List(
        Url(schemes={"https", "http"}), load_default=list, validate=validate.Length(max=10)
    )
    ladder = fields.List(
        fields.Nested(LadderLevelIn),
        required=True,
        validate=validate.Length(min=1, max=MAX_LADDER_LEVELS),
    )

    @ma.validates_schema
    def _levels_in_order(self, data: dict[str, Any], **_: Any) -> None:
        levels = [step["level"] for step in data.get("ladder", [])]
        if levels != list(range(1, len(levels) + 1)):
            raise ma.ValidationError(["Levels must be numbered 1, 2, 3, … in order."], "ladder")


class ExercisePatchIn(ma.Schema):
    """Changes to a clinic's own exercise: not its slug or ladder, which prescriptions name."""

    EXAMPLE = {"retired": True}

    category = Text(validate=NAME)
    name = fields.Nested(LocalizedTextIn)
    instructions = fields.Nested(LocalizedTextIn)
    media_urls = fields.List(Url(schemes={"https", "http"}), validate=validate.Length(max=10))
    retired = StrictBoolean(
        metadata={"description": "true retires it (hidden, never prescribed anew); false restores"},
    )


class ExerciseListArgs(PageArgs):
    include_retired = fields.Boolean(load_default=False)


class SeedExerciseIn(ExerciseIn):
    """A library exercise in ``seed/exercises``: ladders of 3–6 levels."""

    ladder = fields.List(
        fields.Nested(LadderLevelIn), required=True, validate=validate.Length(3, 6)
    )


class TargetOut(ma.Schema):
    kind = fields.String()
    value = fields.Float()
    unit = fields.String(allow_none=True)


class DosageOut(ma.Schema):
    sets = fields.Integer()
    reps = fields.Integer()
    hold_seconds = fields.Integer()
    rest_seconds = fields.Integer()
    target = fields.Nested(TargetOut, allow_none=True)


class LadderLevelOut(DosageOut):
    level = fields.Integer()


class ExerciseOut(ma.Schema):
    id = fields.UUID()
    clinic_id = fields.UUID(allow_none=True)
    slug = fields.String()
    category = fields.String()
    name = fields.Dict(keys=fields.String(), values=fields.String())
    instructions = fields.Dict(keys=fields.String(), values=fields.String())
    media_urls = fields.List(fields.String())
    ladder = fields.List(fields.Nested(LadderLevelOut))
    retired_at = Instant(allow_none=True)


ExercisePage = page_of(ExerciseOut, "ExercisePage")
