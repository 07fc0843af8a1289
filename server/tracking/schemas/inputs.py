"""Request schemas of patient records: one body per kind, the sync batch, and the list
queries (``from``/``to`` as patient-local dates)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from server.pagination import PageArgs
from server.programmes.rules import LOGGED_STATUSES
from server.serialization import TaggedUnion
from server.tracking.rules import KINDS, PAIN_CONTEXTS, SIDES, SYMPTOM_KEYS
from server.validation import OptionalList, SaneDate, SaneInstant, Text
from server.validation.quick import QuickLoad

STRICT_BOOL = {"truthy": {True}, "falsy": {False}}


SCORE = validate.Range(min=0, max=10)


NOTES = validate.Length(max=2000)


SLOT_NAME = validate.Length(min=1, max=40)


TRIGGER = validate.Length(min=1, max=100)


def _score(**kwargs: object) -> fields.Integer:
    return fields.Integer(strict=True, validate=SCORE, **kwargs)


class RecordIn(QuickLoad, ma.Schema):
    """Fields every record carries: the client's UUID and the device's time with an offset
    (loaded quickly when clean: :class:`server.validation.quick.QuickLoad`)."""

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


class AsSent(fields.List):
    """A list whose items are kept as they were sent, to be validated later one by one (a
    sync's 500 items): when its item field would give each item back unchanged (a ``Raw``
    allowing null, with no validators or hooks), the list is copied instead of each item
    going through marshmallow's ``deserialize``. The spec shows it as the list it is declared
    as."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> list[Any]:
        item = self.inner
        unchanged = (
            type(item)._deserialize is fields.Raw._deserialize
            and item.allow_none
            and not (item.validators or item.pre_load or item.post_load)
        )
        if type(value) is list and unchanged:
            return list(value)
        return super()._deserialize(value, attr, data, **kwargs)


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

    items = AsSent(
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
