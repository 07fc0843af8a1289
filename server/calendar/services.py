"""Use cases of the calendar feed: make a patient's private URL (replacing the old), revoke it."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime

import sqlalchemy as sa

from server.access import Actor
from server.audit import services as audit
from server.calendar.models import CalendarFeed
from server.calendar.queries import token_digest
from server.clock import utcnow
from server.extensions import db

TOKEN_BYTES = 32  # 256 random bits, URL-safe: unguessable, and never stored


def _revoke_active(actor: Actor, now: datetime) -> bool:
    revoked = db.session.execute(
        sa.update(CalendarFeed)
        .where(CalendarFeed.patient_id == actor.user_id, CalendarFeed.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return bool(revoked.rowcount)


def create_feed(*, actor: Actor, now: datetime | None = None) -> tuple[str, CalendarFeed]:
    """A new private feed for the patient, revoking their previous one; the plain token exists
    only in this answer (the database keeps its keyed digest)."""
    now = now or utcnow()
    _revoke_active(actor, now)
    db.session.flush()  # the old feed leaves the one-live-feed index before the new one enters
    token = secrets.token_urlsafe(TOKEN_BYTES)
    feed = CalendarFeed(
        id=uuid.uuid4(),
        clinic_id=actor.clinic_id,
        patient_id=actor.user_id,
        token_digest=token_digest(token),
        created_at=now,
    )
    db.session.add(feed)
    audit.record(
        "calendar_feed.create",
        actor=actor,
        patient_id=actor.user_id,
        target=("calendar_feed", feed.id),
        now=now,
    )
    return token, feed


def revoke_feed(*, actor: Actor, now: datetime | None = None) -> None:
    """Revoke the patient's feed: its URL answers 404 from now on (204 even when none was live)."""
    now = now or utcnow()
    revoked = _revoke_active(actor, now)
    audit.record(
        "calendar_feed.revoke" if revoked else "calendar_feed.revoke_none",
        actor=actor,
        patient_id=actor.user_id,
        target="patient",
        now=now,
    )
