"""Outcome measures: the library (from ``seed/measures``), the measures a therapist schedules on
a programme, and the patient's scored responses."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.clock import utcnow
from server.db import Base, uuid_pk
from server.measures.rules import DEFAULT_WINDOW_DAYS
from server.tracking.models import PatientRecord, patient_key


class Measure(Base):
    """A scored questionnaire (NDI, PSFS, …). ``definition`` is its validated seed file (items,
    answers and scores, scoring and missing-item rules, bands, MCID and MDC), as the library
    shows it; a reload replaces it in place, by ``code``."""

    __tablename__ = "measures"

    id: Mapped[uuid.UUID] = uuid_pk()
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    version: Mapped[str] = mapped_column(sa.String(20))
    definition: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class MeasureSchedule(Base):
    """A measure attached to a programme: due at its start, every ``every_weeks`` weeks and at
    its end, each time answerable for ``window_days``. The administrations themselves are
    computed (``rules.administrations``), never stored. Removing it keeps the row (responses
    and the audit trail name it) with ``removed_at`` set."""

    __tablename__ = "measure_schedules"
    __table_args__ = (
        sa.Index(
            "uq_measure_schedules_active",
            "programme_id",
            "measure_code",
            unique=True,
            sqlite_where=sa.text("removed_at IS NULL"),
            postgresql_where=sa.text("removed_at IS NULL"),
        ),
        sa.CheckConstraint("at_start OR at_end OR every_weeks IS NOT NULL", name="due_some_time"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    clinic_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("clinics.id"))
    patient_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("patients.id"), index=True)
    programme_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("programmes.id"))
    measure_code: Mapped[str] = mapped_column(sa.ForeignKey("measures.code"))
    at_start: Mapped[bool]
    every_weeks: Mapped[int | None]
    at_end: Mapped[bool]
    window_days: Mapped[int] = mapped_column(default=DEFAULT_WINDOW_DAYS)
    created_by: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    removed_by: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    removed_at: Mapped[datetime | None]


class MeasureResponse(PatientRecord, Base):
    """A patient's answers to a measure, stored under the client's UUID with the score and band
    they gave by the measure's version then. The change from baseline is not stored: it is
    computed against the patient's earliest response when read, so a late-synced baseline
    never leaves a stale change behind."""

    __tablename__ = "measure_responses"
    __table_args__ = (
        patient_key(),
        sa.Index("ix_measure_responses_series", "patient_id", "measure_code", "recorded_at"),
    )

    measure_code: Mapped[str] = mapped_column(sa.ForeignKey("measures.code"))
    measure_version: Mapped[str] = mapped_column(sa.String(20))
    # The scheduled administration it answers (one response each), if the app said so.
    administration_id: Mapped[uuid.UUID | None] = mapped_column(unique=True)
    schedule_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("measure_schedules.id"))
    answers: Mapped[list[Any]]
    score: Mapped[float]
    score_percent: Mapped[float | None]
    band: Mapped[str | None] = mapped_column(sa.String(40))
    prorated: Mapped[bool]
