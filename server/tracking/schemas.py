"""Bodies of patient records (PRODUCT.md "Bodies of patient records"): inputs and outputs."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from server.tracking.rules import SYMPTOM_KEYS

STRICT_BOOL = {"truthy": {True}, "falsy": {False}}
SCORE = validate.Range(min=0, max=10)


def storable(value: str) -> None:
    """Refuse text no database can store (422, not 500): NUL characters (PostgreSQL text and
    JSONB reject them) and lone UTF-16 surrogates (not encodable as UTF-8).
    """
    if "\x00" in value:
        raise ma.ValidationError("Must not contain NUL characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ma.ValidationError("Must be valid Unicode text.") from error


NOTES = [validate.Length(max=2000), storable]
SLOT_NAME = [validate.Length(min=1, max=40), storable]
TRIGGER = [validate.Length(min=1, max=100), storable]


def _score(**kwargs: object) -> fields.Integer:
    return fields.Integer(strict=True, validate=SCORE, **kwargs)


class RecordIn(ma.Schema):
    """Fields every record carries: the client's UUID and the device's time with an offset."""

    id = fields.UUID(required=True)
    recorded_at = fields.AwareDateTime(required=True)


class SessionItemIn(ma.Schema):
    item_id = fields.UUID(required=True)
    sets_done = fields.Integer(strict=True, required=True, validate=validate.Range(0, 100))
    reps_done = fields.Integer(strict=True, required=True, validate=validate.Range(0, 1000))


class SessionLogIn(RecordIn):
    date = fields.Date(required=True)
    slot = fields.String(required=True, validate=SLOT_NAME)
    status = fields.String(
        required=True, validate=validate.OneOf(["completed", "partial", "skipped"])
    )
    items = fields.List(
        fields.Nested(SessionItemIn), load_default=list, validate=validate.Length(max=50)
    )
    exertion = _score(allow_none=True, load_default=None)
    pain_during = _score(allow_none=True, load_default=None)
    pain_after = _score(allow_none=True, load_default=None)
    notes = fields.String(allow_none=True, load_default=None, validate=NOTES)


class PainRatingIn(RecordIn):
    score = _score(required=True)
    context = fields.String(
        required=True,
        validate=validate.OneOf(["morning", "evening", "now", "during_exercise", "after_exercise"]),
    )


class HeadacheEntryIn(RecordIn):
    started_at = fields.AwareDateTime(required=True)
    duration_minutes = fields.Integer(
        strict=True, required=True, validate=validate.Range(min=1, max=7 * 24 * 60)
    )
    intensity = _score(required=True)
    side = fields.String(required=True, validate=validate.OneOf(["left", "right", "both"]))
    triggers = fields.List(
        fields.String(validate=TRIGGER),
        load_default=list,
        validate=validate.Length(max=20),
    )
    medication_taken = fields.Boolean(required=True, **STRICT_BOOL)
    notes = fields.String(allow_none=True, load_default=None, validate=NOTES)


class PostureBreakIn(RecordIn):
    pass


AnswersIn = ma.Schema.from_dict(
    {key: fields.Boolean(load_default=False, **STRICT_BOOL) for key in SYMPTOM_KEYS},
    name="SymptomAnswersIn",
)


class SymptomCheckIn(RecordIn):
    answers = fields.Nested(AnswersIn, required=True)


class SyncIn(ma.Schema):
    """Up to 500 ``{kind, data}`` items; each is validated on its own so one never spoils all."""

    items = fields.List(fields.Raw(), required=True, validate=validate.Length(max=500))


# Outputs: the stored record, so a replay can return exactly the original body.


class RecordOut(ma.Schema):
    id = fields.UUID(required=True)
    recorded_at = fields.DateTime(required=True)
    received_at = fields.DateTime(required=True)
    local_date = fields.Date(required=True)


class SessionItemOut(ma.Schema):
    item_id = fields.String(required=True)
    sets_done = fields.Integer(required=True)
    reps_done = fields.Integer(required=True)


class SessionLogOut(RecordOut):
    date = fields.Date(required=True, attribute="local_date", dump_only=True)
    slot = fields.String(required=True)
    status = fields.String(required=True)
    items = fields.List(fields.Nested(SessionItemOut), required=True)
    exertion = fields.Integer(allow_none=True)
    pain_during = fields.Integer(allow_none=True)
    pain_after = fields.Integer(allow_none=True)
    notes = fields.String(allow_none=True)
    programme_id = fields.UUID(allow_none=True)
    revision_number = fields.Integer(allow_none=True)


class PainRatingOut(RecordOut):
    score = fields.Integer(required=True)
    context = fields.String(required=True)


class HeadacheEntryOut(RecordOut):
    started_at = fields.DateTime(required=True)
    duration_minutes = fields.Integer(required=True)
    intensity = fields.Integer(required=True)
    side = fields.String(required=True)
    triggers = fields.List(fields.String(), required=True)
    medication_taken = fields.Boolean(required=True)
    notes = fields.String(allow_none=True)


class PostureBreakOut(RecordOut):
    pass


class SymptomCheckOut(RecordOut):
    answers = fields.Dict(keys=fields.String(), values=fields.Boolean(), required=True)
    urgent = fields.Boolean(required=True)
    guidance = fields.String(required=True)


class SyncResultOut(ma.Schema):
    """One item's outcome; symptom checks also carry ``urgent`` and ``guidance``."""

    id = fields.String(allow_none=True, required=True)
    status = fields.String(required=True)
    errors = fields.Dict(keys=fields.String(), values=fields.Raw())
    urgent = fields.Boolean()
    guidance = fields.String()


class SyncOut(ma.Schema):
    results = fields.List(fields.Nested(SyncResultOut), required=True)
