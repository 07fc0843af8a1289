"""Erasure requests from patients, and the record of each erasure (who, whom, why, how)."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.accounts.models import ERASURE_RETENTIONS
from server.clock import utcnow
from server.db import Base, uuid_pk


class ErasureRequest(Base):
    """A patient's request to be erased, open in the clinic admins' queue until an erasure
    closes it. The patient's own words (``reason``) are removed with the rest at erasure."""

    __tablename__ = "erasure_requests"

    id: Mapped[uuid.UUID] = uuid_pk()
    clinic_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("clinics.id"), index=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("patients.id"), index=True)
    reason: Mapped[str | None] = mapped_column(sa.String(1000))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    erasure_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("erasures.id"))


class Erasure(Base):
    """One erasure: which admin erased which patient, when, why and under which retention.
    ``reason`` is the admin's account of the erasure, which by rule names no patient details;
    the audit row ``patient.erase`` points here."""

    __tablename__ = "erasures"
    __table_args__ = (sa.CheckConstraint(f"retention IN {ERASURE_RETENTIONS!r}", name="retention"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    clinic_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("clinics.id"), index=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("patients.id"), unique=True)
    erased_by: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(sa.String(1000))
    retention: Mapped[str] = mapped_column(sa.String(20))
    erased_at: Mapped[datetime] = mapped_column(default=utcnow)
