"""Response schemas of patient records: the stored record, so a replay can return exactly
the original body, per kind, tagged by kind, and paged."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from server.pagination import page_of
from server.programmes.rules import LOGGED_STATUSES
from server.serialization import Instant, PlannedDump
from server.tracking.rules import KINDS, PAIN_CONTEXTS, SIDES, SYNC_STATUSES


class RecordOut(PlannedDump, ma.Schema):
    """Fields every stored record answers with (dumped by plan: ``PlannedDump``)."""

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


class AsBuilt(fields.List):
    """A list whose items the service built in their documented shape (only the documented
    keys, each already its JSON value): sent as it is, not dumped item by item (a sync's 500
    results). The spec shows it as the list it is declared as."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else list(value)


class SyncOut(ma.Schema):
    results = AsBuilt(fields.Nested(SyncResultOut), required=True)


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
