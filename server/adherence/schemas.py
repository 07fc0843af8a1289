"""Adherence and pain reports: query arguments and outputs."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from server.serialization import MEAN_PLACES, RATIO_PLACES, Rounded
from server.validation import SaneDate


class RangeArgs(ma.Schema):
    """``from`` and ``to`` as patient-local dates; both default to the last 28 days."""

    start = SaneDate(data_key="from", load_default=None)
    end = SaneDate(data_key="to", load_default=None)


class DayAdherenceOut(ma.Schema):
    date = fields.Date(attribute="day", required=True)
    revision_number = fields.Integer(allow_none=True, required=True)
    sessions_prescribed = fields.Integer(required=True)
    completed = fields.Integer(required=True)
    partial = fields.Integer(required=True)
    skipped = fields.Integer(required=True)
    missing = fields.Integer(required=True)
    pending = fields.Integer(required=True)
    posture_breaks_prescribed = fields.Integer(required=True)
    posture_breaks_logged = fields.Integer(required=True)
    ratio = Rounded(RATIO_PLACES, allow_none=True, required=True)


class AdherenceTotalsOut(ma.Schema):
    sessions_prescribed = fields.Integer(required=True)
    completed = fields.Integer(required=True)
    partial = fields.Integer(required=True)
    skipped = fields.Integer(required=True)
    missing = fields.Integer(required=True)
    pending = fields.Integer(required=True)
    posture_breaks_prescribed = fields.Integer(required=True)
    posture_breaks_logged = fields.Integer(required=True)
    ratio = Rounded(RATIO_PLACES, allow_none=True, required=True)


class AdherenceOut(ma.Schema):
    patient_id = fields.UUID(required=True)
    start = fields.Date(data_key="from", required=True)
    end = fields.Date(data_key="to", required=True)
    days = fields.List(fields.Nested(DayAdherenceOut), required=True)
    totals = fields.Nested(AdherenceTotalsOut, required=True)


class DayPainOut(ma.Schema):
    date = fields.Date(attribute="day", required=True)
    max_pain = fields.Integer(allow_none=True, required=True)
    mean_pain = Rounded(MEAN_PLACES, allow_none=True, required=True)
    morning_pain = fields.Integer(allow_none=True, required=True)
    headache_count = fields.Integer(required=True)
    headache_minutes = fields.Integer(required=True)
    session_pain_max = fields.Integer(allow_none=True, required=True)
    exertion_max = fields.Integer(allow_none=True, required=True)
    sessions_logged = fields.Integer(required=True)


class BaselineOut(ma.Schema):
    value = Rounded(MEAN_PLACES, allow_none=True, required=True)
    source = fields.String(required=True, validate=validate.OneOf(["therapist", "derived", "none"]))
    days_used = fields.Integer(required=True)


class PainOut(ma.Schema):
    patient_id = fields.UUID(required=True)
    start = fields.Date(data_key="from", required=True)
    end = fields.Date(data_key="to", required=True)
    days = fields.List(fields.Nested(DayPainOut), required=True)
    baseline = fields.Nested(BaselineOut, required=True)
