"""Marshmallow schemas of the programmes domain: input (…In/…Args) apart from output (…Out).

The same input schemas validate the seed files in ``seed/`` and the API bodies.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from server.flag_threshold_schemas import FlagThresholdOverrides, FlagThresholdsIn
from server.pagination import page_of
from server.programmes.library_schemas import (
    MAX_LADDER_LEVELS,
    NAME,
    SLUG,
    DosageOut,
    DosageOverrideIn,
    LocalizedTextIn,
)
from server.programmes.models import REVISION_KINDS
from server.serialization import Instant
from server.validation import SaneDate, Text

HHMM = validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", error="Use HH:MM (24-hour).")
INTERVAL_RANGE = validate.Range(min=30, max=45)
DEFAULT_INTERVAL = 40


def _unique(values: list[Any], field: str) -> None:
    if len(set(values)) != len(values):
        raise ma.ValidationError(["Values must be unique."], field)


class SlotIn(ma.Schema):
    slot = Text(required=True, validate=NAME)
    time = Text(required=True, validate=HHMM)


class ScheduleIn(ma.Schema):
    """ISO weekdays (Monday = 1) and session slots with a local time each."""

    days = fields.List(
        fields.Integer(validate=validate.Range(min=1, max=7)),
        required=True,
        validate=validate.Length(min=1, max=7),
        metadata={"uniqueItems": True},
    )
    slots = fields.List(fields.Nested(SlotIn), required=True, validate=validate.Length(1, 6))

    @ma.validates_schema
    def _distinct(self, data: dict[str, Any], **_: Any) -> None:
        _unique(data.get("days", []), "days")
        _unique([s["slot"] for s in data.get("slots", [])], "slots")
        _unique([s["time"] for s in data.get("slots", [])], "slots")

    @ma.post_load
    def _ordered(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {
            "days": sorted(data["days"]),
            "slots": sorted(data["slots"], key=lambda s: s["time"]),
        }


class PostureBreaksIn(ma.Schema):
    """Posture-break rule: on/off, interval 30–45 minutes, and an optional routine exercise."""

    enabled = fields.Boolean(required=True)
    interval_minutes = fields.Integer(load_default=DEFAULT_INTERVAL, validate=INTERVAL_RANGE)
    routine = Text(load_default=None, allow_none=True, validate=SLUG)


class ItemIn(ma.Schema):
    """A programme item: an exercise (by slug or id) at a ladder level.

    ``item_id`` keeps an existing item's identity across revisions; omit it for a new item.
    ``slots`` limits the item to some sessions (default: every session).
    """

    item_id = fields.UUID(load_default=None)
    exercise = Text(
        validate=SLUG, metadata={"description": "Give exactly one of exercise or exercise_id."}
    )
    exercise_id = fields.UUID()
    level = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_LADDER_LEVELS))
    dosage_override = fields.Nested(DosageOverrideIn, load_default=None, allow_none=True)
    slots = fields.List(Text(validate=NAME), load_default=None, allow_none=True)

    @ma.validates_schema
    def _one_exercise(self, data: dict[str, Any], **_: Any) -> None:
        if ("exercise" in data) == ("exercise_id" in data):
            raise ma.ValidationError(
                ["Give exactly one of exercise (slug) or exercise_id."], "exercise"
            )


class TemplateItemIn(ma.Schema):
    exercise = Text(required=True, validate=SLUG)
    level = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_LADDER_LEVELS))
    slots = fields.List(Text(validate=NAME), load_default=None, allow_none=True)


class TemplateIn(ma.Schema):
    """A programme template in ``seed/templates``."""

    slug = Text(required=True, validate=[validate.Length(min=2, max=80), SLUG])
    condition = Text(required=True, validate=NAME)
    name = fields.Nested(LocalizedTextIn, required=True)
    description = fields.Nested(LocalizedTextIn, required=True)
    items = fields.List(
        fields.Nested(TemplateItemIn), required=True, validate=validate.Length(1, 30)
    )
    schedule = fields.Nested(ScheduleIn, required=True)
    posture_breaks = fields.Nested(PostureBreaksIn, required=True)
    flag_thresholds = fields.Nested(FlagThresholdsIn, load_default=dict)


class ProgrammeIn(ma.Schema):
    """Create a programme from a ``template`` slug, explicit ``items``, or both (items win)."""

    EXAMPLE = {
        "template": "cervicogenic-headache-basic",
        "start_date": "2026-12-07",
        "baseline_pain": 4,
    }

    template = Text(
        load_default=None,
        validate=SLUG,
        metadata={"description": "Give a template, or items with a schedule (or both)."},
    )
    items = fields.List(fields.Nested(ItemIn), load_default=None, validate=validate.Length(1, 30))
    schedule = fields.Nested(ScheduleIn, load_default=None)
    posture_breaks = fields.Nested(PostureBreaksIn, load_default=None)
    start_date = SaneDate(required=True)
    baseline_pain = fields.Float(load_default=None, validate=validate.Range(min=0, max=10))
    reason = Text(load_default=None, validate=validate.Length(min=1, max=500))
    flag_thresholds = fields.Nested(
        FlagThresholdsIn,
        load_default=None,
        metadata={
            "description": "The programme's own flag thresholds (over the template's), which "
            "beat the clinic's."
        },
    )

    @ma.validates_schema
    def _template_or_items(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("template") is None and data.get("items") is None:
            raise ma.ValidationError(["Give a template or items."], "template")
        if data.get("template") is None and data.get("schedule") is None:
            raise ma.ValidationError(["Required when no template is given."], "schedule")


class RevisionIn(ma.Schema):
    """A new revision; omitted parts are carried over from ``base_revision``."""

    EXAMPLE = {
        "base_revision": 2,
        "schedule": {
            "days": [1, 2, 3, 4, 5],
            "slots": [{"slot": "morning", "time": "08:00"}, {"slot": "evening", "time": "19:00"}],
        },
        "reason": "Evening sessions suit the patient's shifts.",
    }

    base_revision = fields.Integer(required=True, validate=validate.Range(min=1))
    items = fields.List(fields.Nested(ItemIn), load_default=None, validate=validate.Length(1, 30))
    schedule = fields.Nested(ScheduleIn, load_default=None)
    posture_breaks = fields.Nested(PostureBreaksIn, load_default=None)
    reason = Text(required=True, validate=validate.Length(min=1, max=500))
    flag_thresholds = fields.Nested(
        FlagThresholdsIn,
        load_default=None,
        metadata={
            "description": "Changes to the programme's flag thresholds, over base_revision's."
        },
    )


class EndIn(ma.Schema):
    """End the active programme today: the patient is discharged, or stops."""

    EXAMPLE = {"reason": "Discharged: goals met."}

    reason = Text(required=True, validate=validate.Length(min=1, max=500))


class IntensityIn(ma.Schema):
    """Move the chosen items (default: all) one level along their ladders."""

    EXAMPLE = {
        "base_revision": 2,
        "direction": "regress",
        "reason": "Flare after the last progression.",
    }

    base_revision = fields.Integer(required=True, validate=validate.Range(min=1))
    direction = Text(required=True, validate=validate.OneOf(["progress", "regress"]))
    item_ids = fields.List(fields.UUID(), load_default=None, validate=validate.Length(min=1))
    reason = Text(required=True, validate=validate.Length(min=1, max=500))


# --- output ------------------------------------------------------------------------------


class TemplateOut(ma.Schema):
    id = fields.UUID()
    slug = fields.String()
    condition = fields.String()
    name = fields.Dict(keys=fields.String(), values=fields.String())
    description = fields.Dict(keys=fields.String(), values=fields.String())
    items = fields.List(fields.Nested(TemplateItemIn))
    schedule = fields.Nested(ScheduleIn)
    posture_breaks = fields.Nested(PostureBreaksIn)


class ItemOut(ma.Schema):
    item_id = fields.String()
    exercise_id = fields.String()
    exercise_slug = fields.String()
    level = fields.Integer()
    dosage_override = fields.Nested(DosageOverrideIn, allow_none=True)
    dosage = fields.Nested(DosageOut)
    slots = fields.List(fields.String(), allow_none=True)


class RevisionOut(ma.Schema):
    number = fields.Integer()
    kind = fields.String(validate=validate.OneOf(REVISION_KINDS))
    items = fields.List(fields.Nested(ItemOut))
    schedule = fields.Nested(ScheduleIn)
    posture_breaks = fields.Nested(PostureBreaksIn)
    flag_thresholds = fields.Nested(
        FlagThresholdOverrides,
        required=True,
        metadata={"description": "The programme's flag thresholds from this revision on."},
    )
    author_id = fields.UUID()
    reason = fields.String()
    effective_at = Instant()
    created_at = Instant()


class ProgrammeOut(ma.Schema):
    id = fields.UUID()
    clinic_id = fields.UUID()
    patient_id = fields.UUID()
    template_slug = fields.String(allow_none=True)
    start_date = fields.Date()
    end_date = fields.Date(allow_none=True)
    end_reason = fields.String(allow_none=True)
    baseline_pain = fields.Float(allow_none=True)
    current_revision = fields.Integer()
    created_by = fields.UUID()
    created_at = Instant()
    revision = fields.Nested(RevisionOut, metadata={"description": "The current revision."})


TemplatePage = page_of(TemplateOut, "TemplatePage")
ProgrammePage = page_of(ProgrammeOut, "ProgrammePage")
RevisionPage = page_of(RevisionOut, "RevisionPage")
