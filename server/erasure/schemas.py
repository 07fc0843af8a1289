"""Erasure: the admin's reason (…In), the patient's request (…In), the queue (…Out)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from server.pagination import PageArgs
from server.serialization import Instant
from server.validation import Text


class ErasureIn(ma.Schema):
    """Why the patient is erased, in the admin's words. By rule it names no patient details
    (no name, contact or clinical detail): it is kept in the audit trail after the erasure."""

    EXAMPLE = {"reason": "Patient's request of 2026-12-07 (KVKK Art. 7); no retention duty."}

    reason = Text(
        required=True,
        validate=validate.Length(min=1, max=1000),
        metadata={
            "description": "Why the patient is erased. Kept with the audit trail after the "
            "erasure, so it must name no patient details (no name, contact or clinical detail)."
        },
    )


class ErasureRequestIn(ma.Schema):
    EXAMPLE = {"reason": "I no longer attend the clinic."}

    reason = Text(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=1000),
        metadata={"description": "Optional; removed when the erasure is done."},
    )


class ErasureRequestOut(ma.Schema):
    id = fields.UUID(required=True)
    patient_id = fields.UUID(required=True)
    requested_at = Instant(required=True)
    reason = fields.String(allow_none=True)
    closed_at = Instant(allow_none=True)


class ErasureQueueItemOut(ErasureRequestOut):
    """An open request in the admins' queue, with the patient's name to act on it."""

    patient_name = fields.String(required=True)


class ErasureQueueArgs(PageArgs):
    pass
