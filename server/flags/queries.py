"""Reads of a patient's flags that a higher domain (the export) uses; the therapist's audited
reads are in ``flags/review.py``."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import sqlalchemy as sa

from server.flags.models import Flag
from server.pagination import keyset_pages


def every_flag(patient_id: uuid.UUID) -> Iterator[Flag]:
    """Every flag of the patient, open or not, oldest first, read a page at a time."""
    statement = sa.select(Flag).where(Flag.patient_id == patient_id)
    return keyset_pages(statement, keys=[Flag.opened_at, Flag.id])
