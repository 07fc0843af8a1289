"""Calendar feeds: one private URL per patient at a time, only its token's keyed digest stored."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.clock import utcnow
from server.db import Base, uuid_pk


class CalendarFeed(Base):
    """A private feed URL. Creating a new one revokes the patient's previous one."""

    __tablename__ = "calendar_feeds"
    __table_args__ = (
        sa.Index(
            "uq_calendar_feeds_active_patient",
            "patient_id",
            unique=True,
            sqlite_where=sa.text("revoked_at IS NULL"),
            postgresql_where=sa.text("revoked_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    clinic_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("clinics.id"))
    patient_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("patients.id"), index=True)
    # HMAC-SHA-256 of the token under SECRET_KEY: a database dump gives no working URL.
    token_digest: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
