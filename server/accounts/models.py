"""Clinics (tenants), users (staff and patients), patient profiles, invitations and tokens."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.clock import utcnow
from server.db import Base, uuid_pk

ROLES = ("patient", "therapist", "clinic_admin")
# What erasing a patient does to their clinical records (README, "Data rights").
ERASURE_RETENTIONS = ("keep_deidentified", "delete")
STAFF_ROLES = ("therapist", "clinic_admin")
LANGUAGES = ("tr", "en")


class Clinic(Base):
    __tablename__ = "clinics"

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(sa.String(200))
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Europe/Istanbul")
    language: Mapped[str] = mapped_column(sa.String(2), default="tr")
    emergency_number: Mapped[str] = mapped_column(sa.String(20), default="112")
    # Per-clinic overrides of the flag engine's default thresholds (see server.flag_thresholds).
    flag_thresholds: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Local time of the therapists' daily digest of open flags.
    digest_time: Mapped[time] = mapped_column(default=time(8, 0))
    # Erasing a patient keeps their clinical records de-identified, or deletes them.
    erasure_retention: Mapped[str] = mapped_column(sa.String(20), default="keep_deidentified")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    """Anyone who logs in: a therapist, a clinic admin or a patient."""

    __tablename__ = "users"
    # An address is unique within a clinic, not across clinics: whether another clinic knows
    # someone must never show (README, "Accounts": email addresses and clinics).
    __table_args__ = (
        sa.CheckConstraint(f"role IN {ROLES!r}", name="role"),
        sa.UniqueConstraint("clinic_id", "email"),
        # What the outbox's (recipient, clinic) key refers to (server/reminders/models.py).
        sa.Index("uq_users_id_clinic_id", "id", "clinic_id", unique=True),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    clinic_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("clinics.id"), index=True)
    email: Mapped[str] = mapped_column(sa.String(254), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[str] = mapped_column(sa.String(20))
    language: Mapped[str] = mapped_column(sa.String(2), default="tr")
    # Null until a patient activates an invitation.
    password_hash: Mapped[str | None] = mapped_column(sa.String(200))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    clinic: Mapped[Clinic] = relationship(lazy="joined", innerjoin=True)

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES


class Patient(Base):
    """A patient's clinical profile; shares its primary key with the patient's ``User`` row."""

    __tablename__ = "patients"
    # What the records' (patient, clinic) key refers to (server/tracking/models.py).
    __table_args__ = (sa.Index("uq_patients_id_clinic_id", "id", "clinic_id", unique=True),)

    id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    clinic_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("clinics.id"), index=True)
    therapist_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Europe/Istanbul")
    birth_year: Mapped[int | None]
    reminders_enabled: Mapped[bool] = mapped_column(default=True)
    quiet_start: Mapped[time] = mapped_column(default=time(22, 0))
    quiet_end: Mapped[time] = mapped_column(default=time(7, 0))
    work_start: Mapped[time] = mapped_column(default=time(9, 0))
    work_end: Mapped[time] = mapped_column(default=time(18, 0))
    # ISO weekdays, Monday = 1.
    work_days: Mapped[list[Any]] = mapped_column(default=lambda: [1, 2, 3, 4, 5])
    last_activity_at: Mapped[datetime | None]
    # Set while the patient's consent to processing is withdrawn: no reminders, no new records.
    consent_withdrawn_at: Mapped[datetime | None]
    # Set once the patient is erased: every route then answers as for an unknown patient.
    erased_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[id], lazy="joined", innerjoin=True)
    therapist: Mapped[User | None] = relationship(foreign_keys=[therapist_id])
    # Not stored: whether to ask for consent, set where the profile is read (GET /me).
    consent_status = None

    @property
    def name(self) -> str:
        return self.user.name

    @property
    def email(self) -> str:
        return self.user.email

    @property
    def language(self) -> str:
        return self.user.language

    @property
    def activated(self) -> bool:
        return self.user.password_hash is not None


class Invitation(Base):
    """A one-time activation code; only its keyed digest (HMAC-SHA-256) is stored."""

    __tablename__ = "invitations"

    id: Mapped[uuid.UUID] = uuid_pk()
    clinic_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("clinics.id"), index=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("patients.id"), index=True)
    code_digest: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_by: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    # Set when a newer invitation for the same patient replaces this unused one.
    revoked_at: Mapped[datetime | None]


class TokenFamily(Base):
    """A login session: one chain of rotated refresh tokens. Revoking it ends every token in it."""

    __tablename__ = "token_families"

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(sa.String(40))


class RefreshToken(Base):
    """One issued refresh token (by JWT id). Presenting a rotated one revokes its family."""

    __tablename__ = "refresh_tokens"

    jti: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    family_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("token_families.id"), index=True)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    rotated_at: Mapped[datetime | None]


class ConsentText(Base):
    """One published version of the consent text (``seed/consents``), in Turkish and English."""

    __tablename__ = "consent_texts"

    version: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    published: Mapped[date]
    # {"tr": "...", "en": "..."}
    text: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Consent(Base):
    """One consent decision: the patient agreed to ``version`` in ``language`` at ``given_at``,
    and withdrew it at ``withdrawn_at`` (if ever). The latest row is the patient's state."""

    __tablename__ = "consents"
    __table_args__ = (sa.Index("ix_consents_patient_given", "patient_id", "given_at"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    clinic_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("clinics.id"))
    patient_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("patients.id"))
    version: Mapped[int] = mapped_column(sa.ForeignKey("consent_texts.version"))
    language: Mapped[str] = mapped_column(sa.String(2))
    given_at: Mapped[datetime]
    withdrawn_at: Mapped[datetime | None]
