"""Reminder streams, their occurrence records, the delivery outbox and patients' push devices."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.clock import utcnow
from server.db import Base, uuid_pk
from server.tracking.models import patient_key

STREAM_KINDS = ("session", "posture_break", "measure")
NOTIFICATION_STATUSES = ("due", "suppressed", "sent", "missed", "failed", "snoozed")
DELIVERY_STATUSES = ("pending", "sent", "failed", "dead")
DELIVERY_CHANNELS = ("push", "staff")
PLATFORMS = ("android", "ios", "web")


class ReminderStream(Base):
    """One patient's reminders of one kind; ``next_due_at`` is null when nothing is due."""

    __tablename__ = "reminder_streams"
    __table_args__ = (
        sa.UniqueConstraint("patient_id", "kind", name="uq_reminder_streams_patient_kind"),
        sa.CheckConstraint(f"kind IN {STREAM_KINDS!r}", name="kind"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    clinic_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("clinics.id"))
    patient_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("patients.id"))
    kind: Mapped[str] = mapped_column(sa.String(20))
    # The dispatch tick's only entry point: ``WHERE next_due_at <= now ORDER BY next_due_at``.
    next_due_at: Mapped[datetime | None] = mapped_column(index=True)
    last_occurrence_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReplanMark(Base):
    """A patient whose streams the next dispatch tick recomputes before it claims due ones: a
    logged session or posture break writes it inside the record's own statement."""

    __tablename__ = "reminder_replans"

    patient_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("patients.id"), primary_key=True)
    clinic_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("clinics.id"))
    # The earliest record time since the last replan: the streams are recomputed as of it.
    marked_at: Mapped[datetime]


class Notification(Base):
    """Exactly one record per reminder occurrence: (patient, kind, occurrence_at) is unique."""

    __tablename__ = "notifications"
    __table_args__ = (
        sa.UniqueConstraint(
            "patient_id", "kind", "occurrence_at", name="uq_notifications_occurrence"
        ),
        sa.CheckConstraint(f"status IN {NOTIFICATION_STATUSES!r}", name="status"),
        patient_key(),
        sa.Index("ix_notifications_patient_occurrence", "patient_id", "occurrence_at"),
        # Only snoozed records: the others never enter it, nor does marking them sent.
        sa.Index(
            "ix_notifications_snoozed_until",
            "snoozed_until",
            postgresql_where=sa.text("snoozed_until IS NOT NULL"),
            sqlite_where=sa.text("snoozed_until IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    # The patient in the record's clinic: one key on both (patient_key).
    clinic_id: Mapped[uuid.UUID]
    patient_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(sa.String(20))
    occurrence_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(sa.String(12))
    local_date: Mapped[date]
    slot: Mapped[str | None] = mapped_column(sa.String(40))
    language: Mapped[str] = mapped_column(sa.String(2))
    title: Mapped[str] = mapped_column(sa.String(200))
    message: Mapped[str] = mapped_column(sa.String(500))
    read_at: Mapped[datetime | None]
    # Set while snoozed; the dispatch tick re-delivers the same record when it passes.
    snoozed_until: Mapped[datetime | None]
    snooze_count: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Delivery(Base):
    """The outbox: one push to a patient or one alert to a therapist, retried until sent or dead.

    ``next_attempt_at`` is null once the row is final (sent or dead), so the claim query
    ``next_attempt_at <= now`` only ever touches live rows. ``dedupe_key`` makes enqueueing
    idempotent (a reminder round, an urgent flag, a therapist's digest of a local day).
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        sa.CheckConstraint(f"status IN {DELIVERY_STATUSES!r}", name="status"),
        sa.CheckConstraint(f"channel IN {DELIVERY_CHANNELS!r}", name="channel"),
        # Live rows only: a row marked final (sent or dead) leaves the claim's index.
        sa.Index(
            "ix_deliveries_next_attempt_at",
            "next_attempt_at",
            postgresql_where=sa.text("next_attempt_at IS NOT NULL"),
            sqlite_where=sa.text("next_attempt_at IS NOT NULL"),
        ),
        # For the purge and the recent-alert lookups. On PostgreSQL a BRIN index: rows arrive
        # in created_at order, and a block range summary costs next to nothing to keep up,
        # where a B-tree took an entry for every insert and every update of the row.
        sa.Index("ix_deliveries_created_at", "created_at", postgresql_using="brin"),
        # One check a row for both, and no push or alert to someone of another clinic.
        sa.ForeignKeyConstraint(["recipient_id", "clinic_id"], ["users.id", "users.clinic_id"]),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    dedupe_key: Mapped[str] = mapped_column(sa.String(120), unique=True)
    # The recipient in the row's clinic: one key on both (above).
    clinic_id: Mapped[uuid.UUID]
    recipient_id: Mapped[uuid.UUID]
    notification_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("notifications.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(sa.String(10))
    kind: Mapped[str] = mapped_column(sa.String(20))
    # What the provider sends: title, body and identifiers only, never clinical details.
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(sa.String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.String(200))
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Device(Base):
    """A patient's push token; the token is unique and never logged."""

    __tablename__ = "devices"
    __table_args__ = (sa.CheckConstraint(f"platform IN {PLATFORMS!r}", name="platform"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    clinic_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("clinics.id"))
    patient_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("patients.id"), index=True)
    # The login session that registered the token: it moves to another account only once
    # this session has ended (server/reminders/devices.py).
    session_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("token_families.id", ondelete="SET NULL")
    )
    platform: Mapped[str] = mapped_column(sa.String(10))
    token: Mapped[str] = mapped_column(sa.String(1024), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
