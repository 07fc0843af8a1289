"""Audit trail: who did what to which patient's data, and when."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.clock import utcnow
from server.db import Base, uuid_pk


class AuditEvent(Base):
    """One read or write of patient data. Holds identifiers only: never notes, names or tokens.

    An append-only journal without foreign keys: only our own code writes it, with ids it has
    just authorised, and no clinic, user or patient row is ever deleted (an erased patient's row
    stays under its id). On PostgreSQL each key would be a trigger's lookup per row, and a
    500-item sync writes 500 rows.
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        sa.Index("ix_audit_events_clinic_patient_at", "clinic_id", "patient_id", "at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    at: Mapped[datetime] = mapped_column(default=utcnow)
    clinic_id: Mapped[uuid.UUID]
    actor_id: Mapped[uuid.UUID | None]
    actor_role: Mapped[str] = mapped_column(sa.String(20))
    action: Mapped[str] = mapped_column(sa.String(60))
    patient_id: Mapped[uuid.UUID | None]
    object_type: Mapped[str | None] = mapped_column(sa.String(40))
    object_id: Mapped[str | None] = mapped_column(sa.String(64))


class AuditPage(Base):
    """A page read's audit events as its GET wrote them: one row holding the events (one per
    listed patient, and the page's own) in a JSON document, spread into ``audit_events`` one
    row each by the scheduler (``audit.jobs``). Every reader of the trail sees both
    (``audit.queries.trail``).

    One row instead of 200 in the request: each listed patient's event lands in a different
    leaf of ``audit_events``' per-patient index, so writing them at once dirtied ~200 index pages
    per page view. Spreading many pages together, sorted by patient, writes each leaf once.
    """

    __tablename__ = "audit_pages"

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True
    )
    at: Mapped[datetime]
    clinic_id: Mapped[uuid.UUID]
    actor_id: Mapped[uuid.UUID | None]
    actor_role: Mapped[str] = mapped_column(sa.String(20))
    # [[event id, action, patient key text or null, object type, object id], ...]
    events: Mapped[str] = mapped_column(sa.Text())
