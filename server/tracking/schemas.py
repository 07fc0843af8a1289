"""Bodies of patient records (PRODUCT.md "Bodies of patient records"): inputs and outputs."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from server.pagination import PageArgs, page_of
from server.tracking.rules import KINDS, SYMPTOM_KEYS
from server.validation import OptionalList, SaneDate, SaneInstant, Text

STRICT_BOOL = {"truthy": {True}, "falsy": {False}}
SCORE = validate.Range(min=0, max=10)


NOTES = validate.Length(max=2000)
SLOT_NAME = validate.Length(min=1, max=40)
TRIGGER = validate.Length(min=1, max=100)


def _score(**kwargs: object) -> fields.Integer:
    return fields.Integer(strict=True, validate=SCORE, **kwargs)


class RecordIn(ma.Schema):
    """Fields every record carries: the client's UUID and the device's time with an offset."""

    id = fields.UUID(required=True)
    recorded_at = SaneInstant(required=True)


class SessionItemIn(ma.Schema):
    item_id = fields.UUID(required=True)
    sets_done = fields.Integer(strict=True, required=True, validate=validate.Range(0, 100))
    reps_done = fields.Integer(strict=True, required=True, validate=validate.Range(0, 1000))


class SessionLogIn(RecordIn):
    date = SaneDate(required=True)
    slot = Text(required=True, validate=SLOT_NAME)
    status = Text(required=True, validate=validate.OneOf(["completed", "partial", "skipped"]))
    items = OptionalList(
        fields.Nested(SessionItemIn), load_default=list, validate=validate.Length(max=50)
    )
    exertion = _score(allow_none=True, load_default=None)
    pain_during = _score(allow_none=True, load_default=None)
    pain_after = _score(allow_none=True, load_default=None)
    notes = Text(allow_none=True, load_default=None, validate=NOTES)


class PainRatingIn(RecordIn):
    score = _score(required=True)
    context = Text(
        required=True,
        validate=validate.OneOf(["morning", "evening", "now", "during_exercise", "after_exercise"]),
    )


class HeadacheEntryIn(RecordIn):
    started_at = SaneInstant(required=True)
    duration_minutes = fields.Integer(
        strict=True, required=True, validate=validate.Range(min=1, max=7 * 24 * 60)
    )
    intensity = _score(required=True)
    side = Text(required=True, validate=validate.OneOf(["left", "right", "both"]))
    triggers = OptionalList(
        Text(validate=TRIGGER),
        load_default=list,
        validate=validate.Length(max=20),
    )
    medication_taken = fields.Boolean(required=True, **STRICT_BOOL)
    notes = Text(allow_none=True, load_default=None, validate=NOTES)


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

    items = fields.List(
        fields.Raw(allow_none=True), required=True, validate=validate.Length(max=500)
    )


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
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    urgent = fields.Boolean()
    guidance = fields.String()


class SyncOut(ma.Schema):
    results = fields.List(fields.Nested(SyncResultOut), required=True)


# Reading records back: the bodies the POSTs answered.


class RecordListArgs(PageArgs):
    """``from``/``to`` bound the records' patient-local dates (a session log's ``date``, a
    headache's start date, otherwise ``recorded_at``'s), both inclusive."""

    start = SaneDate(
        data_key="from",
        load_default=None,
        metadata={"description": "First patient-local date (inclusive); not after to."},
    )
    end = SaneDate(
        data_key="to",
        load_default=None,
        metadata={"description": "Last patient-local date (inclusive)."},
    )


class PatientRecordListArgs(RecordListArgs):
    kind = Text(
        load_default=None,
        validate=validate.OneOf(KINDS),
        metadata={"description": "Only records of this kind (default: every kind)."},
    )


OUTPUTS: dict[str, ma.Schema] = {
    "session_log": SessionLogOut(),
    "pain_rating": PainRatingOut(),
    "headache_entry": HeadacheEntryOut(),
    "posture_break": PostureBreakOut(),
    "symptom_check": SymptomCheckOut(),
}


class RecordBody(fields.Field):
    """A record's body, dumped by the output schema of its ``kind`` (the item's sibling)."""

    def __init__(self, **kwargs: object) -> None:
        names = [type(schema).__name__ for schema in OUTPUTS.values()]
        refs = [{"$ref": f"#/components/schemas/{name}"} for name in names]
        super().__init__(metadata={"oneOf": refs}, **kwargs)

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return OUTPUTS[obj["kind"]].dump(value)


class PatientRecordOut(ma.Schema):
    """One record of any kind, tagged with its kind; ``data`` is that kind's body."""

    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    data = RecordBody(required=True)


SessionLogPage = page_of(SessionLogOut, "SessionLogPage")
PainRatingPage = page_of(PainRatingOut, "PainRatingPage")
HeadacheEntryPage = page_of(HeadacheEntryOut, "HeadacheEntryPage")
PostureBreakPage = page_of(PostureBreakOut, "PostureBreakPage")
SymptomCheckPage = page_of(SymptomCheckOut, "SymptomCheckPage")
PatientRecordPage = page_of(PatientRecordOut, "PatientRecordPage")
