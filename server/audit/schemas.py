"""Request and response schemas of the audit domain."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from server.access import PATIENT, STAFF
from server.audit.services import SYSTEM_ROLE
from server.pagination import PageArgs
from server.serialization import Instant


class AuditArgs(PageArgs):
    patient_id = fields.UUID(metadata={"description": "Only events about this patient."})
    actor_id = fields.UUID(metadata={"description": "Only events by this user."})


class AuditEventOut(ma.Schema):
    id = fields.UUID(required=True)
    at = Instant(required=True)
    actor_id = fields.UUID(allow_none=True, metadata={"description": "null for system jobs."})
    # Jobs (the flag sweep, reminders) act as the system.
    actor_role = fields.String(
        required=True, validate=validate.OneOf([PATIENT, *STAFF, SYSTEM_ROLE])
    )
    action = fields.String(required=True, metadata={"example": "patient.read"})
    patient_id = fields.UUID(allow_none=True)
    object_type = fields.String(allow_none=True)
    object_id = fields.String(allow_none=True)
