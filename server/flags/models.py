"""Flags for therapist review, and the per-patient evaluation state the sweep claims."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.clock import utcnow
from server.db import Base, uuid_pk

FLAG_TYPES = (
    "red_flag",
    "flare_up",
    "worsening",
    "high_pain",
    "non_adherence",
    "progression_ready",
    "outcome_worsened",
    "not_improving",
)
SEVERITIES = ("urgent", "high", "normal", "low", "info")
# Queue order: most severe first. Stored as a number so keyset pagination can sort on it.
SEVERITY_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}
SEVERITY_OF = {
    "red_flag": "urgent",
    "flare_up": "normal",
    "worsening": "high",
    "high_pain": "high",
    "non_adherence": "low",
    "progression_ready": "info",
    "outcome_worsened": "high",
    "not_improving": "normal",
}
STATUSES = ("open", "acknowledged", "resolved", "auto_resolved")
ACTIVE_STATUSES = ("open", "acknowledged")
RESOLUTION_ACTIONS = ("none", "contacted", "regressed", "referred")
ACTIVE_SQL = "status IN ('open', 'acknowledged')"


class Flag(Base):
    """Something for a therapist to review. At most one active (open/acknowledged) per type.

    ``evidence`` is a list of entries appended over time, each ``{"key", "rule", "day",
    "values", "thresholds", "baseline"}``; an entry that later data no longer supports is kept
    and marked ``"withdrawn": true``. ``episode_start``/``episode_end`` are patient-local dates
    on the data's own timeline; ``opened_at`` is when the server raised the flag.
    """

    __tablename__ = "flags"
    __table_args__ = (
        sa.CheckConstraint(f"type IN {FLAG_TYPES!r}", name="type"),
        sa.CheckConstraint(f"severity IN {SEVERITIES!r}", name="severity"),
        sa.CheckConstraint(f"status IN {STATUSES!r}", name="status"),
        sa.CheckConstraint(
            f"resolution_action IS NULL OR resolution_action IN {RESOLUTION_ACTIONS!r}",
            name="resolution_action",
        ),
        sa.Index(
            "uq_flags_one_active_per_patient_type",
            "patient_id",
            "type",
            unique=True,
            sqlite_where=sa.text(ACTIVE_SQL),
            postgresql_where=sa.text(ACTIVE_SQL),
        ),
        # The review queue: a clinic's flags by status, most severe first, then oldest first.
        sa.Index("ix_flags_queue", "clinic_id", "status", "severity_rank", "opened_at", "id"),
        # A patient's history, and the evaluator's bounded look-up of recent flags.
        sa.Index("ix_flags_patient_opened", "patient_id", "opened_at"),
        sa.Index("ix_flags_patient_last_evidence", "patient_id", "last_evidence_on"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    clinic_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("clinics.id"))
    patient_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("patients.id"))
    type: Mapped[str] = mapped_column(sa.String(20))
    severity: Mapped[str] = mapped_column(sa.String(10))
    severity_rank: Mapped[int] = mapped_column(sa.SmallInteger)
    status: Mapped[str] = mapped_column(sa.String(15), default="open")
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    episode_start: Mapped[date]
    episode_end: Mapped[date | None]
    last_evidence_on: Mapped[date]
    evidence: Mapped[list[Any]] = mapped_column(default=list)
    # A code (see server.flags.messages); rendered in the reading therapist's language.
    suggested_action: Mapped[str] = mapped_column(sa.String(40))
    expected: Mapped[bool] = mapped_column(default=False)
    acknowledged_by: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    acknowledged_at: Mapped[datetime | None]
    resolved_by: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None]
    resolution_note: Mapped[str | None] = mapped_column(sa.Text)
    resolution_action: Mapped[str | None] = mapped_column(sa.String(15))
    auto_resolution_reason: Mapped[str | None] = mapped_column(sa.String(40))

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class FlagEvaluationState(Base):
    """Per patient: when the flag rules last ran, when they are due next, and from which local
    day new data waits to be evaluated.

    Ingest marks the patient due (``next_sweep_at`` = now, ``pending_from`` = the earliest day
    it touched); the scheduler's frequent tick evaluates due patients and clears
    ``pending_from``. The row is also the per-patient lock: evaluation takes it ``FOR UPDATE``
    (PostgreSQL), so two evaluations never run for one patient at once; the tick skips locked
    rows.
    """

    __tablename__ = "flag_evaluation_states"

    patient_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("patients.id"), primary_key=True)
    clinic_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("clinics.id"))
    evaluated_at: Mapped[datetime | None]
    next_sweep_at: Mapped[datetime | None] = mapped_column(index=True)
    pending_from: Mapped[date | None]


# --- active flags counted by the database -------------------------------------------------
# The patient list shows each patient's active flags by severity. Triggers on ``flags`` keep
# the counts in the statement that opens, reviews, resolves or deletes a flag, whatever writes
# it (the evaluator, a review, an erasure, a migration), so they cannot drift from the flags;
# the list reads one row a patient instead of counting the flags each time.


class ActiveFlagCount(Base):
    """A patient's open and acknowledged flags by severity (no row: none ever active)."""

    __tablename__ = "active_flag_counts"

    patient_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("patients.id"), primary_key=True)
    clinic_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("clinics.id"))
    urgent: Mapped[int]
    high: Mapped[int]
    normal: Mapped[int]
    low: Mapped[int]
    info: Mapped[int]


def active_count_trigger_ddl(dialect: str) -> list[str]:
    """The statements that install the counts' triggers on ``dialect`` (sqlite or postgresql);
    the migration that added them holds a copy."""
    columns = ", ".join(("patient_id", "clinic_id", *SEVERITIES))
    active = f"IN {ACTIVE_STATUSES!r}"
    if dialect == "sqlite":  # row triggers only; a comparison is 0 or 1
        add = ", ".join(f"{s} = {s} + excluded.{s}" for s in SEVERITIES)
        taken = ", ".join(f"{s} = {s} - (OLD.severity = '{s}')" for s in SEVERITIES)
        counted = ", ".join(f"NEW.severity = '{s}'" for s in SEVERITIES)
        insert = (
            f"INSERT INTO active_flag_counts ({columns}) "
            f"SELECT NEW.patient_id, NEW.clinic_id, {counted} WHERE NEW.status {active} "
            f"ON CONFLICT (patient_id) DO UPDATE SET {add};"
        )
        remove = (
            f"UPDATE active_flag_counts SET {taken} "  # noqa: S608 (made of constants)
            f"WHERE patient_id = OLD.patient_id AND OLD.status {active};"
        )
        return [
            "CREATE TRIGGER IF NOT EXISTS count_active_flags_inserted AFTER INSERT ON flags "
            f"BEGIN {insert} END",
            "CREATE TRIGGER IF NOT EXISTS count_active_flags_updated "
            "AFTER UPDATE OF patient_id, severity, status ON flags "
            f"BEGIN {remove} {insert} END",
            "CREATE TRIGGER IF NOT EXISTS count_active_flags_deleted AFTER DELETE ON flags "
            f"BEGIN {remove} END",
        ]
    add = ", ".join(f"{s} = c.{s} + excluded.{s}" for s in SEVERITIES)
    taken = ", ".join(f"{s} = {s} - (OLD.severity = '{s}')::int" for s in SEVERITIES)
    counted = ", ".join(f"(NEW.severity = '{s}')::int" for s in SEVERITIES)
    return [
        "CREATE OR REPLACE FUNCTION count_active_flags() RETURNS trigger LANGUAGE plpgsql AS $$ "  # noqa: S608
        f"BEGIN IF TG_OP <> 'INSERT' AND OLD.status {active} THEN "
        f"UPDATE active_flag_counts SET {taken} WHERE patient_id = OLD.patient_id; END IF; "
        f"IF TG_OP <> 'DELETE' AND NEW.status {active} THEN "
        f"INSERT INTO active_flag_counts AS c ({columns}) "
        f"VALUES (NEW.patient_id, NEW.clinic_id, {counted}) "
        f"ON CONFLICT (patient_id) DO UPDATE SET {add}; "
        "END IF; RETURN NULL; END $$",
        "CREATE OR REPLACE TRIGGER count_active_flags "
        "AFTER INSERT OR DELETE OR UPDATE OF patient_id, severity, status ON flags "
        "FOR EACH ROW EXECUTE FUNCTION count_active_flags()",
    ]


@sa.event.listens_for(Base.metadata, "after_create")
def _install_count_triggers(_metadata: sa.MetaData, connection: sa.Connection, **_: Any) -> None:
    """``create_all`` (the tests) installs the triggers as the migration does."""
    if connection.dialect.name in ("sqlite", "postgresql"):
        for statement in active_count_trigger_ddl(connection.dialect.name):
            connection.exec_driver_sql(statement)
