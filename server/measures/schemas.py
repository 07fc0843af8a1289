"""Outcome measures on a programme and in a patient's record: schedules (``MeasureScheduleIn``),
responses (``MeasureResponseIn``) and what the API answers about them; the library's schemas are
in ``library_schemas``."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from server.measures import rules
from server.measures.library_schemas import CODE, CODE_PATTERN, KEY, ReferenceValueOut, texts
from server.measures.rules import DIRECTIONS, INTERPRETATIONS
from server.pagination import page_of
from server.programmes.plan_schemas import DueMeasureOut
from server.serialization import Instant
from server.tracking.schemas import RecordIn
from server.validation import StrictBoolean, Text


class MeasureScheduleIn(ma.Schema):
    """When a measure is due on a programme: at its start, every N weeks, at its end."""

    EXAMPLE = {"measure": "NDI", "at_start": True, "every_weeks": 4, "at_end": True}

    measure = Text(required=True, validate=CODE, metadata={"pattern": CODE_PATTERN})
    at_start = StrictBoolean(load_default=False)
    every_weeks = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(1, 52))
    at_end = StrictBoolean(load_default=False)
    window_days = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(1, 28),
        metadata={
            "description": "Days a due administration stays answerable, its due date included "
            "(default: the server's MEASURE_WINDOW_DAYS, 7)."
        },
    )

    @ma.validates_schema
    def _due_some_time(self, data: dict[str, Any], **_: Any) -> None:
        if not (data.get("at_start") or data.get("every_weeks") or data.get("at_end")):
            raise ma.ValidationError(
                ["Give at least one of at_start, every_weeks or at_end."], "at_start"
            )


class AdministrationOut(ma.Schema):
    id = fields.UUID()
    occasion = fields.String(validate=validate.OneOf((rules.START, rules.PERIODIC, rules.END)))
    due = fields.Date(metadata={"description": "The patient-local date it is due."})
    closes = fields.Date(metadata={"description": "The last local date it may be answered."})


class MeasureScheduleOut(ma.Schema):
    id = fields.UUID()
    programme_id = fields.UUID()
    patient_id = fields.UUID()
    measure = fields.String(attribute="measure_code")
    at_start = fields.Boolean()
    every_weeks = fields.Integer(allow_none=True)
    at_end = fields.Boolean()
    window_days = fields.Integer()
    created_by = fields.UUID()
    created_at = Instant()
    administrations = fields.List(
        fields.Nested(AdministrationOut),
        metadata={"description": "Those due by today, and the next one."},
    )


class AnswerIn(ma.Schema):
    item = Text(required=True, validate=KEY)
    value = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(-100, 100),
        metadata={"description": "The option's value or the rating; null: unanswered."},
    )
    activity = Text(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Items the patient names (PSFS): the activity, at baseline."},
    )


class MeasureResponseIn(RecordIn):
    EXAMPLE = {
        "id": "5f0c7a52-3c1e-4f5e-9a57-1d2b8c3e4f01",
        "recorded_at": "2026-12-06T09:00:00+03:00",
        "measure": "GROC",
        "answers": [{"item": "overall_change", "value": 3}],
    }

    measure = Text(required=True, validate=CODE, metadata={"pattern": CODE_PATTERN})
    administration_id = fields.UUID(load_default=None, allow_none=True)
    answers = fields.List(
        fields.Nested(AnswerIn), required=True, validate=validate.Length(min=1, max=50)
    )


class AnswerOut(ma.Schema):
    item = fields.String()
    value = fields.Integer(allow_none=True)
    activity = fields.String(allow_none=True)


class MeasureResponseOut(ma.Schema):
    id = fields.UUID()
    recorded_at = Instant()
    received_at = Instant()
    local_date = fields.Date()
    measure = fields.String()
    measure_version = fields.String()
    administration_id = fields.UUID(allow_none=True)
    answers = fields.List(fields.Nested(AnswerOut))
    score = fields.Float()
    score_percent = fields.Float(allow_none=True, metadata={"description": "NDI: % of 50."})
    band = fields.String(allow_none=True, metadata={"description": "A code of the bands."})
    prorated = fields.Boolean(metadata={"description": "Scaled up for a missing item."})
    baseline_id = fields.UUID(allow_none=True)
    baseline_score = fields.Float(allow_none=True)
    change = fields.Float(
        allow_none=True,
        metadata={"description": "Points better (+) or worse (−) than baseline; null on it."},
    )
    interpretation = fields.String(
        allow_none=True,
        validate=validate.OneOf(INTERPRETATIONS),
        metadata={"enum_name": "OutcomeInterpretation"},
    )
    mcid = fields.Float()


class MeasureSeriesOut(ma.Schema):
    measure = fields.String()
    name = texts()
    direction = fields.String(
        validate=validate.OneOf(DIRECTIONS), metadata={"enum_name": "MeasureDirection"}
    )
    mcid = fields.Nested(ReferenceValueOut)
    mdc = fields.Nested(ReferenceValueOut, allow_none=True)
    responses = fields.List(fields.Nested(MeasureResponseOut))


class DueMeasuresOut(ma.Schema):
    """The questionnaires open today (the patient's local today) and not answered yet."""

    items = fields.List(fields.Nested(DueMeasureOut))


MeasureSchedulePage = page_of(MeasureScheduleOut, "MeasureSchedulePage")
MeasureSeriesPage = page_of(MeasureSeriesOut, "MeasureSeriesPage")
