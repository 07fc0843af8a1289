"""What patients record on the phone. Every row's primary key is the client-generated UUID."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from server.db import Base


def patient_key() -> sa.ForeignKeyConstraint:
    """A patient record's one foreign key, on (patient, clinic): a row's check is one lookup,
    not one per column (a 500-item sync made 1,000), and a record cannot name another clinic
    than its patient's; the clinic exists through the patient's own key."""
    return sa.ForeignKeyConstraint(
        ["patient_id", "clinic_id"], ["patients.id", "patients.clinic_id"]
    )


class PatientRecord:
    """Columns every patient record has: client id, clinic, patient, times and a body digest."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    # The record's patient in the record's clinic: one key on both (patient_key).
    clinic_id: Mapped[uuid.UUID]
    patient_id: Mapped[uuid.UUID]
    recorded_at: Mapped[datetime]
    received_at: Mapped[datetime]
    # The patient-local calendar date of ``recorded_at`` (or of the event itself, see each model).
    local_date: Mapped[date]
    # SHA-256 of the canonical client body: an identical replay is a duplicate, else a conflict.
    body_digest: Mapped[str] = mapped_column(sa.String(64))

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        return (
            patient_key(),
            sa.Index(f"ix_{cls.__tablename__}_patient_date", "patient_id", "local_date"),
        )


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


# --- summaries the database maintains ------------------------------------------------------
# The patient list's pain, last activity and 7-day adherence (server/overview) read these
# instead of the record tables. Triggers on the record tables write them in the statement that
# inserts the records, whatever inserts them (a post, a sync, the seed, a migration), so they
# cannot drift from the logs; all are maxima, so a replay or an overlap changes nothing. Records
# are only ever deleted by erasure, which deletes these rows with them (tracking/events.py).


class PainDay(Base):
    """A patient's highest pain on one local day (the record's ``local_date``), over pain
    ratings, headache intensities and sessions' pain (``adherence.series.PAIN_SOURCES``)."""

    __tablename__ = "pain_days"

    patient_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("patients.id"), primary_key=True)
    local_date: Mapped[date] = mapped_column(primary_key=True)
    clinic_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("clinics.id"))
    max_pain: Mapped[int]


class PatientActivity(Base):
    """The latest ``recorded_at`` of any record a patient has stored."""

    __tablename__ = "patient_activity"

    patient_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("patients.id"), primary_key=True)
    clinic_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("clinics.id"))
    last_recorded_at: Mapped[datetime]


class SessionDay(Base):
    """How each slot a patient logged on one local day ended at best: the highest rank of its
    sessions' statuses (``SESSION_RANK``), what the list's 7-day adherence reads."""

    __tablename__ = "session_days"

    patient_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("patients.id"), primary_key=True)
    local_date: Mapped[date] = mapped_column(primary_key=True)
    slot: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    clinic_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("clinics.id"))
    best_rank: Mapped[int]


# A session's status as a rank, the best counting (adherence.rules.STATUS_RANK; 0: unknown).
SESSION_RANK = (
    "CASE {r}.status WHEN 'skipped' THEN 1 WHEN 'partial' THEN 2 WHEN 'completed' THEN 3 ELSE 0 END"
)

# Each record table and the SQL of its pain (None: it has none), per dialect.
SUMMARISED = {
    "session_logs": {
        "sqlite": "max(coalesce({r}.pain_during, {r}.pain_after), "
        "coalesce({r}.pain_after, {r}.pain_during))",
        "postgresql": "greatest({r}.pain_during, {r}.pain_after)",
    },
    "pain_ratings": {"sqlite": "{r}.score", "postgresql": "{r}.score"},
    "headache_entries": {"sqlite": "{r}.intensity", "postgresql": "{r}.intensity"},
    "posture_breaks": None,
    "symptom_checks": None,
}


def summary_trigger_ddl(dialect: str) -> list[str]:
    """The statements that install the summaries' triggers on ``dialect`` (sqlite or
    postgresql); the migration that added them holds a copy."""
    return [sql for table in SUMMARISED for sql in _trigger_ddl(table, dialect)]


def _trigger_ddl(table: str, dialect: str) -> list[str]:
    pain = SUMMARISED[table]
    if dialect == "sqlite":
        # One row at a time: SQLite has row triggers only.
        body = [
            "INSERT INTO patient_activity (patient_id, clinic_id, last_recorded_at) "
            "SELECT NEW.patient_id, NEW.clinic_id, NEW.recorded_at WHERE true "
            "ON CONFLICT (patient_id) DO UPDATE SET last_recorded_at = "
            "max(last_recorded_at, excluded.last_recorded_at);"
        ]
        if pain:
            value = pain["sqlite"].format(r="NEW")
            body.insert(
                0,
                "INSERT INTO pain_days (patient_id, local_date, clinic_id, max_pain) "
                f"SELECT NEW.patient_id, NEW.local_date, NEW.clinic_id, {value} "
                f"WHERE {value} IS NOT NULL "
                "ON CONFLICT (patient_id, local_date) DO UPDATE SET max_pain = "
                "max(max_pain, excluded.max_pain);",
            )
        if table == "session_logs":
            body.append(
                "INSERT INTO session_days (patient_id, local_date, slot, clinic_id, best_rank) "
                "SELECT NEW.patient_id, NEW.local_date, NEW.slot, NEW.clinic_id, "
                f"{SESSION_RANK.format(r='NEW')} WHERE true "
                "ON CONFLICT (patient_id, local_date, slot) DO UPDATE SET best_rank = "
                "max(best_rank, excluded.best_rank);"
            )
        return [
            f"CREATE TRIGGER IF NOT EXISTS summarise_{table} AFTER INSERT ON {table} "
            f"BEGIN {' '.join(body)} END"
        ]
    # PostgreSQL: once per statement, over the rows it inserted (a sync's batch in one go),
    # in a fixed order so that two writers lock the summary rows alike.
    body = [
        "INSERT INTO patient_activity AS a (patient_id, clinic_id, last_recorded_at) "
        "SELECT patient_id, clinic_id, max(recorded_at) FROM inserted "
        "GROUP BY patient_id, clinic_id ORDER BY patient_id "
        "ON CONFLICT (patient_id) DO UPDATE SET last_recorded_at = excluded.last_recorded_at "
        "WHERE excluded.last_recorded_at > a.last_recorded_at;"
    ]
    if pain:
        value = pain["postgresql"].format(r="inserted")
        body.insert(
            0,
            "INSERT INTO pain_days AS d (patient_id, local_date, clinic_id, max_pain) "  # noqa: S608
            f"SELECT patient_id, local_date, clinic_id, max({value}) FROM inserted "
            f"WHERE {value} IS NOT NULL GROUP BY patient_id, local_date, clinic_id "
            "ORDER BY patient_id, local_date "
            "ON CONFLICT (patient_id, local_date) DO UPDATE SET max_pain = excluded.max_pain "
            "WHERE excluded.max_pain > d.max_pain;",
        )
    if table == "session_logs":
        rank = SESSION_RANK.format(r="inserted")
        body.append(
            "INSERT INTO session_days AS s (patient_id, local_date, slot, clinic_id, best_rank) "  # noqa: S608
            f"SELECT patient_id, local_date, slot, clinic_id, max({rank}) "
            "FROM inserted GROUP BY patient_id, local_date, slot, clinic_id "
            "ORDER BY patient_id, local_date, slot "
            "ON CONFLICT (patient_id, local_date, slot) DO UPDATE SET best_rank = "
            "excluded.best_rank WHERE excluded.best_rank > s.best_rank;"
        )
    return [
        f"CREATE OR REPLACE FUNCTION summarise_{table}() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN {' '.join(body)} RETURN NULL; END $$",
        f"CREATE OR REPLACE TRIGGER summarise_{table} AFTER INSERT ON {table} "
        "REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT "
        f"EXECUTE FUNCTION summarise_{table}()",
    ]


@sa.event.listens_for(Base.metadata, "after_create")
def _install_summary_triggers(_metadata: sa.MetaData, connection: sa.Connection, **_: Any) -> None:
    """``create_all`` (the tests) installs the triggers as the migration does."""
    if connection.dialect.name in ("sqlite", "postgresql"):
        for statement in summary_trigger_ddl(connection.dialect.name):
            connection.exec_driver_sql(statement)
