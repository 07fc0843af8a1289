"""Audit trail: who did what to which patient's data, and when."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.clock import utcnow
from server.db import Base, uuid_pk


class AuditEvent(Base):
    """One read or write of patient data. Holds identifiers only: never notes, names or tokens."""

    __tablename__ = "audit_events"
    __table_args__ = (
        sa.Index("ix_audit_events_clinic_patient_at", "clinic_id", "patient_id", "at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    at: Mapped[datetime] = mapped_column(default=utcnow)
    clinic_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("clinics.id"))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    actor_role: Mapped[str] = mapped_column(sa.String(20))
    action: Mapped[str] = mapped_column(sa.String(60))
    patient_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("patients.id"))
    object_type: Mapped[str | None] = mapped_column(sa.String(40))
    object_id: Mapped[str | None] = mapped_column(sa.String(64))
