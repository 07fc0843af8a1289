"""Reads of the audit trail that a higher domain uses: who read or changed a patient's data."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import sqlalchemy as sa

from server.audit.models import AuditEvent
from server.pagination import keyset_pages


def trail_of(patient_id: uuid.UUID) -> Iterator[AuditEvent]:
    """Every audit event naming the patient, oldest first, read a page at a time."""
    statement = sa.select(AuditEvent).where(AuditEvent.patient_id == patient_id)
    return keyset_pages(statement, keys=[AuditEvent.at, AuditEvent.id])
