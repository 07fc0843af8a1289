"""Reads of the audit trail: its events as one table, and who read or changed a patient's data."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from server.audit.models import AuditEvent
from server.audit.pages import COLUMNS, EVENTS_SQL
from server.extensions import db
from server.pagination import keyset_pages


def trail() -> type[AuditEvent]:
    """``AuditEvent`` over every event of the trail: those in ``audit_events`` and those still in
    a page's row (``audit_pages``, until the scheduler spreads them). One statement sees each
    event exactly once, moved or not."""
    return _trail(db.session.get_bind().dialect.name)


@functools.lru_cache(maxsize=4)
def _trail(dialect: str) -> type[AuditEvent]:
    table = AuditEvent.__table__
    pending = sa.text(EVENTS_SQL[dialect].format(pages="audit_pages")).columns(
        *(sa.column(name, table.c[name].type) for name in COLUMNS)
    )
    events = sa.union_all(sa.select(*(table.c[name] for name in COLUMNS)), pending)
    return aliased(AuditEvent, events.subquery("audit_trail"), name="audit_trail")


def trail_of(patient_id: uuid.UUID) -> Iterator[AuditEvent]:
    """Every audit event naming the patient, oldest first, read a page at a time."""
    events = trail()
    statement = sa.select(events).where(events.patient_id == patient_id)
    return keyset_pages(statement, keys=[events.at, events.id])
