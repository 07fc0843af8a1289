"""Flag inputs (queue query, resolution) and outputs (queue entries, a flag with evidence)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate
from webargs.fields import DelimitedList

from server.flag_thresholds import SOURCES
from server.flags.models import FLAG_TYPES, RESOLUTION_ACTIONS, SEVERITIES, STATUSES
from server.pagination import PageArgs, page_of
from server.serialization import EvidenceValue, Instant
from server.validation import Text


class FlagQueueArgs(PageArgs):
    """``status`` and ``severity`` take one value or a comma-separated list."""

    status = DelimitedList(
        Text(validate=validate.OneOf(STATUSES)),
        metadata={"description": "Default: open,acknowledged."},
    )
    severity = DelimitedList(Text(validate=validate.OneOf(SEVERITIES)))
    patient_id = fields.UUID(load_default=None)


class ResolveIn(ma.Schema):
    EXAMPLE = {"note": "Called the patient; regressed the chin tucks.", "action": "regressed"}

    note = Text(required=True, validate=validate.Length(min=1, max=2000))
    action = Text(required=True, validate=validate.OneOf(RESOLUTION_ACTIONS))


class SuggestedActionOut(ma.Schema):
    code = fields.String(required=True)
    text = fields.String(required=True)


class BaselineEvidenceOut(ma.Schema):
    """The baseline a rule compared against, and where it came from."""

    value = fields.Float()
    source = fields.String(validate=validate.OneOf(["therapist", "derived"]))
    established_on = fields.Date(allow_none=True)


class EvidenceOut(ma.Schema):
    """One data point a rule fired on; ``withdrawn`` when later data no longer supports it."""

    key = fields.String(required=True)
    rule = fields.String(required=True)
    day = fields.String(required=True, metadata={"format": "date"})
    values = fields.Dict(keys=fields.String(), values=EvidenceValue(), required=True)
    thresholds = fields.Dict(keys=fields.String(), values=fields.Float(), required=True)
    threshold_sources = fields.Dict(
        keys=fields.String(),
        values=fields.String(validate=validate.OneOf(SOURCES)),
        metadata={
            "optional": True,
            "description": "Where each threshold came from (programme, clinic or default); "
            "only on evidence recorded since thresholds have sources.",
        },
    )
    baseline = fields.Nested(BaselineEvidenceOut, allow_none=True)
    withdrawn = fields.Boolean(dump_default=False)


class FlagOut(ma.Schema):
    id = fields.UUID(required=True)
    patient_id = fields.UUID(required=True)
    patient_name = fields.String(required=True)
    type = fields.String(required=True, validate=validate.OneOf(FLAG_TYPES))
    severity = fields.String(required=True, validate=validate.OneOf(SEVERITIES))
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    opened_at = Instant(required=True)
    updated_at = Instant(required=True)
    episode_start = fields.Date(required=True)
    episode_end = fields.Date(allow_none=True)
    last_evidence_on = fields.Date(required=True)
    expected = fields.Boolean(required=True)
    rules = fields.List(fields.String(), required=True)
    evidence_count = fields.Integer(required=True)
    suggested_action = fields.Nested(SuggestedActionOut, required=True)
    acknowledged_by = fields.UUID(allow_none=True)
    acknowledged_at = Instant(allow_none=True)
    resolved_by = fields.UUID(allow_none=True)
    resolved_at = Instant(allow_none=True)
    resolution_note = fields.String(allow_none=True)
    resolution_action = fields.String(
        allow_none=True,
        validate=validate.OneOf(RESOLUTION_ACTIONS),
        metadata={"enum_name": "ResolutionAction"},
    )
    auto_resolution_reason = fields.String(allow_none=True)


class FlagDetailOut(FlagOut):
    evidence = fields.List(fields.Nested(EvidenceOut), required=True)


FlagPageOut = page_of(FlagOut, "FlagPage")
