"""Bodies of patient records (PRODUCT.md "Bodies of patient records"): inputs and outputs."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from server.pagination import PageArgs, page_of
from server.programmes.rules import LOGGED_STATUSES
from server.serialization import Instant, TaggedUnion
from server.tracking.rules import KINDS, PAIN_CONTEXTS, SIDES, SYMPTOM_KEYS, SYNC_STATUSES
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
    EXAMPLE = {
        "id": "5f0c7a52-3c1e-4f5e-9a57-1d2b8c3e4f01",
        "recorded_at": "2026-12-06T08:20:00+03:00",
        "date": "2026-12-06",
        "slot": "morning",
        "status": "completed",
        "exertion": 4,
        "pain_during": 2,
        "pain_after": 2,
    }

    date = SaneDate(required=True)
    slot = Text(required=True, validate=SLOT_NAME)
    status = Text(required=True, validate=validate.OneOf(LOGGED_STATUSES))
    items = OptionalList(
        fields.Nested(SessionItemIn), load_default=list, validate=validate.Length(max=50)
    )
    exertion = _score(allow_none=True, load_default=None)
    pain_during = _score(allow_none=True, load_default=None)
    pain_after = _score(allow_none=True, load_default=None)
    notes = Text(allow_none=True, load_default=None, validate=NOTES)


class PainRatingIn(RecordIn):
    EXAMPLE = {
        "id": "5f0c7a52-3c1e-4f5e-9a57-1d2b8c3e4f01",
        "recorded_at": "2026-12-06T07:30:00+03:00",
        "score": 3,
        "context": "morning",
    }

    score = _score(required=True)
    context = Text(
        required=True,
        validate=validate.OneOf(PAIN_CONTEXTS),
    )


class HeadacheEntryIn(RecordIn):
    EXAMPLE = {
        "id": "5f0c7a52-3c1e-4f5e-9a57-1d2b8c3e4f01",
        "recorded_at": "2026-12-06T16:00:00+03:00",
        "started_at": "2026-12-06T14:30:00+03:00",
        "duration_minutes": 90,
        "intensity": 5,
        "side": "right",
        "triggers": ["screen"],
        "medication_taken": False,
    }

    started_at = SaneInstant(required=True)
    duration_minutes = fields.Integer(
        strict=True, required=True, validate=validate.Range(min=1, max=7 * 24 * 60)
    )
    intensity = _score(required=True)
    side = Text(required=True, validate=validate.OneOf(SIDES))
    triggers = OptionalList(
        Text(validate=TRIGGER),
        load_default=list,
        validate=validate.Length(max=20),
    )
    medication_taken = fields.Boolean(required=True, **STRICT_BOOL)
    notes = Text(allow_none=True, load_default=None, validate=NOTES)


class PostureBreakIn(RecordIn):
    EXAMPLE = {
        "id": "5f0c7a52-3c1e-4f5e-9a57-1d2b8c3e4f01",
        "recorded_at": "2026-12-06T10:40:00+03:00",
    }

    pass


AnswersIn = ma.Schema.from_dict(
    {key: fields.Boolean(load_default=False, **STRICT_BOOL) for key in SYMPTOM_KEYS},
    name="SymptomAnswersIn",
)


class SymptomCheckIn(RecordIn):
    EXAMPLE = {
        "id": "5f0c7a52-3c1e-4f5e-9a57-1d2b8c3e4f01",
        "recorded_at": "2026-12-06T09:00:00+03:00",
        "answers": {"thunderclap": False, "neuro_deficit": False},
    }

    answers = fields.Nested(AnswersIn, required=True)


class SyncIn(ma.Schema):
    """Up to 500 ``{kind, data}`` items; each is validated on its own so one never spoils all."""

    EXAMPLE = {
        "items": [
            {
                "kind": "pain_rating",
                "data": {
                    "id": "5f0c7a52-3c1e-4f5e-9a57-1d2b8c3e4f01",
                    "recorded_at": "2026-12-06T07:30:00+03:00",
                    "score": 3,
                    "context": "morning",
                },
            },
            {
                "kind": "posture_break",
                "data": {
                    "id": "9d1e0b7a-4c2f-4e8a-8b1d-2f3a4b5c6d7e",
                    "recorded_at": "2026-12-06T10:40:00+03:00",
                },
            },
        ]
    }

    items = fields.List(
        TaggedUnion(
            {
                "session_log": SessionLogIn,
                "pain_rating": PainRatingIn,
                "headache_entry": HeadacheEntryIn,
                "posture_break": PostureBreakIn,
                "symptom_check": SymptomCheckIn,
            },
            allow_none=True,
        ),
        required=True,
        validate=validate.Length(max=500),
    )


# Outputs: the stored record, so a replay can return exactly the original body.


class RecordOut(ma.Schema):
    id = fields.UUID(required=True)
    recorded_at = Instant(required=True)
    received_at = Instant(required=True)
    local_date = fields.Date(required=True)


class SessionItemOut(ma.Schema):
    item_id = fields.String(required=True)
    sets_done = fields.Integer(required=True)
    reps_done = fields.Integer(required=True)


class SessionLogOut(RecordOut):
    date = fields.Date(required=True, attribute="local_date", dump_only=True)
    slot = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(LOGGED_STATUSES))
    items = fields.List(fields.Nested(SessionItemOut), required=True)
    exertion = fields.Integer(allow_none=True)
    pain_during = fields.Integer(allow_none=True)
    pain_after = fields.Integer(allow_none=True)
    notes = fields.String(allow_none=True)
    programme_id = fields.UUID(allow_none=True)
    revision_number = fields.Integer(allow_none=True)


class PainRatingOut(RecordOut):
    score = fields.Integer(required=True)
    context = fields.String(required=True, validate=validate.OneOf(PAIN_CONTEXTS))


class HeadacheEntryOut(RecordOut):
    started_at = Instant(required=True)
    duration_minutes = fields.Integer(required=True)
    intensity = fields.Integer(required=True)
    side = fields.String(required=True, validate=validate.OneOf(SIDES))
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
    status = fields.String(required=True, validate=validate.OneOf(SYNC_STATUSES))
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"optional": True, "description": "invalid only: the messages for each field."},
    )
    urgent = fields.Boolean(metadata={"optional": True, "description": "Symptom checks only."})
    guidance = fields.String(metadata={"optional": True, "description": "Symptom checks only."})


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
        metadata={
            "description": "Only records of this kind (default: every kind).",
            "enum_name": "RecordKind",
        },
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
