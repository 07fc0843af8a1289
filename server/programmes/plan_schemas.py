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


class DueMeasureOut(ma.Schema):
    """An outcome questionnaire the patient is asked to answer now (open and not answered)."""

    administration_id = fields.UUID(
        metadata={"description": "Send it with the answers to close this administration."}
    )
    measure = fields.String(metadata={"description": "The measure's code (NDI, PSFS, …)."})
    name = fields.String(metadata={"description": "The measure's name, in the patient's language."})
    occasion = fields.String(
        validate=validate.OneOf(("start", "periodic", "end")),
        metadata={"description": "At the programme's start, every N weeks, or at its end."},
    )
    due = fields.Date(metadata={"description": "The patient-local date it fell due."})
    closes = fields.Date(
        metadata={"description": "The last local date it may be answered; after it, missed."}
    )
    programme_id = fields.UUID()


class PlanOut(ma.Schema):
    date = fields.Date()
    today = fields.Date()
    timezone = fields.String()
    language = fields.String(validate=validate.OneOf(LANGUAGES))
    programme_id = fields.UUID(allow_none=True)
    revision = fields.Integer(allow_none=True)
    sessions = Dumped(fields.Nested(PlanSessionOut))
    posture_breaks = fields.Nested(PlanPostureBreaksOut, allow_none=True)
    measures = fields.List(
        fields.Nested(DueMeasureOut),
        metadata={"description": "Outcome questionnaires open on this date and not answered."},
    )
