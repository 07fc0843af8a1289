"""What patients record on the phone. Every row's primary key is the client-generated UUID."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from server.db import Base


class PatientRecord:
    """Columns every patient record has: client id, clinic, patient, times and a body digest."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    clinic_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("clinics.id"))
    patient_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("patients.id"))
    recorded_at: Mapped[datetime]
    received_at: Mapped[datetime]
    # The patient-local calendar date of ``recorded_at`` (or of the event itself, see each model).
    local_date: Mapped[date]
    # SHA-256 of the canonical client body: an identical replay is a duplicate, else a conflict.
    body_digest: Mapped[str] = mapped_column(sa.String(64))

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        return (sa.Index(f"ix_{cls.__tablename__}_patient_date", "patient_id", "local_date"),)


class SessionLog(PatientRecord, Base):
    """A scheduled session done, partly done or skipped. ``local_date`` is the session's date."""

    __tablename__ = "session_logs"

    slot: Mapped[str] = mapped_column(sa.String(40))
    status: Mapped[str] = mapped_column(sa.String(10))
    items: Mapped[list[Any]] = mapped_column(default=list)
    exertion: Mapped[int | None]
    pain_during: Mapped[int | None]
    pain_after: Mapped[int | None]
    notes: Mapped[str | None] = mapped_column(sa.Text)
    programme_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("programmes.id"))
    revision_number: Mapped[int | None]


class PainRating(PatientRecord, Base):
    __tablename__ = "pain_ratings"

    score: Mapped[int]
    context: Mapped[str] = mapped_column(sa.String(20))


class HeadacheEntry(PatientRecord, Base):
    """A headache diary entry. ``local_date`` is the local date of ``started_at``."""

    __tablename__ = "headache_entries"

    started_at: Mapped[datetime]
    duration_minutes: Mapped[int]
    intensity: Mapped[int]
    side: Mapped[str] = mapped_column(sa.String(5))
    triggers: Mapped[list[Any]] = mapped_column(default=list)
    medication_taken: Mapped[bool]
    notes: Mapped[str | None] = mapped_column(sa.Text)


class PostureBreak(PatientRecord, Base):
    __tablename__ = "posture_breaks"


class SymptomCheck(PatientRecord, Base):
    """A red-flag screen; ``answers`` maps each question key to a boolean."""

    __tablename__ = "symptom_checks"

    answers: Mapped[dict[str, Any]]
    urgent: Mapped[bool]
