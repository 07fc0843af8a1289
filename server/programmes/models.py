"""Exercise library, programme templates, and patients' programmes as immutable revisions."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.clock import utcnow
from server.db import Base, uuid_pk

REVISION_KINDS = ("initial", "revision", "progress", "regress")


class Exercise(Base):
    """A library entry. ``clinic_id`` is null for the shared library, set for a clinic's own.

    ``ladder`` is the ordered progression: ``[{"level": 1, "sets": 3, "reps": 10,
    "hold_seconds": 10, "rest_seconds": 30, "target": {"kind": "pressure_mmhg", "value": 22}}]``.
    ``name`` and ``instructions`` map a language code (``en``, ``tr``) to text. A clinic may
    edit its own exercise's texts, category and media, never its slug or ladder (prescriptions
    name its levels).
    """

    __tablename__ = "exercises"
    __table_args__ = (
        sa.Index(
            "uq_exercises_library_slug",
            "slug",
            unique=True,
            sqlite_where=sa.text("clinic_id IS NULL"),
            postgresql_where=sa.text("clinic_id IS NULL"),
        ),
        sa.UniqueConstraint("clinic_id", "slug", name="uq_exercises_clinic_id_slug"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    clinic_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("clinics.id"), index=True)
    slug: Mapped[str] = mapped_column(sa.String(80))
    category: Mapped[str] = mapped_column(sa.String(40))
    name: Mapped[dict[str, Any]]
    instructions: Mapped[dict[str, Any]]
    media_urls: Mapped[list[Any]] = mapped_column(default=list)
    ladder: Mapped[list[Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A retired exercise is left out of the library list and cannot be prescribed anew; items
    # that already prescribe it keep it.
    retired_at: Mapped[datetime | None]


class ProgrammeTemplate(Base):
    """A named starting programme loaded from ``seed/``; no code is specific to one condition.

    ``items``: ``[{"exercise": slug, "level": n}]``; ``schedule``: ``{"days": [1..7],
    "slots": [{"slot": "morning", "time": "08:00"}]}``; ``posture_breaks``:
    ``{"enabled": true, "interval_minutes": 40}``.
    """

    __tablename__ = "programme_templates"

    id: Mapped[uuid.UUID] = uuid_pk()
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    condition: Mapped[str] = mapped_column(sa.String(80))
    name: Mapped[dict[str, Any]]
    description: Mapped[dict[str, Any]] = mapped_column(default=dict)
    items: Mapped[list[Any]]
    schedule: Mapped[dict[str, Any]]
    posture_breaks: Mapped[dict[str, Any]]
    flag_thresholds: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Programme(Base):
    """A patient's plan. Its content lives in revisions; ``current_revision`` is the newest.

    A patient has at most one programme with ``end_date`` null (the active one). Creating a new
    programme ends the active one on the day before the new one starts; a therapist may also
    end it (a discharge).
    """

    __tablename__ = "programmes"
    __table_args__ = (
        sa.Index(
            "uq_programmes_active_patient",
            "patient_id",
            unique=True,
            sqlite_where=sa.text("end_date IS NULL"),
            postgresql_where=sa.text("end_date IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    clinic_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("clinics.id"), index=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("patients.id"), index=True)
    template_slug: Mapped[str | None] = mapped_column(sa.String(80))
    start_date: Mapped[date]
    # The last local date it applies: set when a newer programme replaces it, or when a
    # therapist ends it (then with ``end_reason``, e.g. a discharge).
    end_date: Mapped[date | None]
    end_reason: Mapped[str | None] = mapped_column(sa.String(500))
    baseline_pain: Mapped[float | None]
    current_revision: Mapped[int] = mapped_column(default=1)
    created_by: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    revisions: Mapped[list[ProgrammeRevision]] = relationship(
        back_populates="programme", order_by="ProgrammeRevision.number"
    )


class ProgrammeRevision(Base):
    """One immutable version of a programme.

    ``items``: ``[{"item_id": uuid, "exercise_id": uuid, "exercise_slug": str, "level": n,
    "dosage_override": {...} | null}]``; ``item_id`` is stable across revisions so logs can
    refer to it. ``effective_at`` is when it took effect; the revision in force on a local date
    is the newest one effective before the end of that date.
    """

    __tablename__ = "programme_revisions"
    __table_args__ = (
        sa.UniqueConstraint("programme_id", "number", name="uq_programme_revisions_number"),
        sa.CheckConstraint(f"kind IN {REVISION_KINDS!r}", name="kind"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    programme_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("programmes.id"))
    clinic_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("clinics.id"))
    patient_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("patients.id"), index=True)
    number: Mapped[int]
    kind: Mapped[str] = mapped_column(sa.String(20))
    items: Mapped[list[Any]]
    schedule: Mapped[dict[str, Any]]
    posture_breaks: Mapped[dict[str, Any]]
    # The programme's overrides of flag thresholds (over the clinic's): the newest revision's
    # are in force.
    flag_thresholds: Mapped[dict[str, Any]] = mapped_column(default=dict)
    author_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(sa.String(500))
    effective_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    programme: Mapped[Programme] = relationship(back_populates="revisions")
