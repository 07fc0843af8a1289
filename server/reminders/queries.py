"""Reads of what reminders hold about a patient, for a higher domain (the export)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import sqlalchemy as sa

from server.pagination import keyset_pages
from server.reminders.models import Device, Notification


def devices_of(patient_id: uuid.UUID) -> Iterator[Device]:
    """The patient's registered push devices, oldest first (callers must not show tokens)."""
    statement = sa.select(Device).where(Device.patient_id == patient_id)
    return keyset_pages(statement, keys=[Device.created_at, Device.id])


def every_notification(patient_id: uuid.UUID) -> Iterator[Notification]:
    """Every reminder and notice made for the patient, oldest first, a page at a time."""
    statement = sa.select(Notification).where(Notification.patient_id == patient_id)
    return keyset_pages(statement, keys=[Notification.created_at, Notification.id])
