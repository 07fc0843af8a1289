"""Marshmallow schemas of the daily plan (``GET /me/plan``, ``GET /patients/{id}/plan``)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from server.accounts.models import LANGUAGES
from server.programmes.library_schemas import DosageOut
from server.programmes.rules import LOGGED_STATUSES
from server.serialization import Instant
from server.validation import SaneDate


class PlanArgs(ma.Schema):
    date = SaneDate(load_default=None, metadata={"description": "Local date; default today."})


class PlanItemOut(ma.Schema):
    item_id = fields.String()
    exercise_id = fields.String()
    slug = fields.String()
    category = fields.String()
    name = fields.String()
    instructions = fields.String()
    media_urls = fields.List(fields.String())
    level = fields.Integer()
    levels = fields.Integer(metadata={"description": "How many levels the ladder has."})
    dosage = fields.Nested(DosageOut)


class Dumped(fields.List):
    """A list the service has already dumped with this field's inner schema (a cached plan day,
    built once per worker): passed through as is, and documented like the plain list."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return value


class PlanSessionOut(ma.Schema):
    slot = fields.String()
    time = fields.String(metadata={"description": "Prescribed local wall time, HH:MM."})
    starts_at = Instant(metadata={"description": "The UTC instant (DST-resolved)."})
    local_starts_at = Instant(metadata={"description": "The same instant, local offset."})
    status = fields.String(validate=validate.OneOf([*LOGGED_STATUSES, "pending", "missed"]))
    items = fields.List(fields.Nested(PlanItemOut))


class RoutineOut(ma.Schema):
    slug = fields.String()
    name = fields.String()
    instructions = fields.String()
    media_urls = fields.List(fields.String())


class WindowOut(ma.Schema):
    start = fields.String()
    end = fields.String()


class PlanPostureBreaksOut(ma.Schema):
    enabled = fields.Boolean()
    interval_minutes = fields.Integer()
    working_day = fields.Boolean()
    window = fields.Nested(WindowOut, allow_none=True)
    work_days = fields.List(fields.Integer())
    prescribed = fields.Integer()
    logged = fields.Integer()
    routine = fields.Nested(RoutineOut, allow_none=True)


class PlanOut(ma.Schema):
    date = fields.Date()
    today = fields.Date()
    timezone = fields.String()
    language = fields.String(validate=validate.OneOf(LANGUAGES))
    programme_id = fields.UUID(allow_none=True)
    revision = fields.Integer(allow_none=True)
    sessions = Dumped(fields.Nested(PlanSessionOut))
    posture_breaks = fields.Nested(PlanPostureBreaksOut, allow_none=True)
