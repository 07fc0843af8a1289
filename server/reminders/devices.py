"""Push devices: a patient's tokens, capped, and a token that moves between accounts only when
the phone's previous account has signed out of it (audited in both clinics)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from server.access import Actor, get_scoped
from server.accounts.models import TokenFamily
from server.audit import services as audit
from server.clock import utcnow
from server.errors import Conflict
from server.extensions import db
from server.reminders.batches import insert_ignoring_duplicates
from server.reminders.models import Device

# Push tokens kept per patient; registering one more drops the least recently seen.
MAX_DEVICES_PER_PATIENT = 10
STILL_SIGNED_IN = (
    "This push token belongs to another account that is still signed in on this device: "
    "that account must sign out first."
)


def register_device(
    actor: Actor,
    *,
    platform: str,
    token: str,
    session_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> tuple[Device, bool]:
    """Register a push token for the patient, from the session ``session_id``; idempotent by
    token. Returns (device, created).

    A push token names one app install. If it is registered to another account, it moves to
    this one only once the session that registered it has ended (that person signed out on
    the phone, then someone else signed in): otherwise 409, so a token cannot be taken from
    its owner. A move is audited in both clinics. A patient keeps at most
    ``MAX_DEVICES_PER_PATIENT`` tokens; the least recently seen is dropped.
    """
    now = now or utcnow()
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "clinic_id": actor.clinic_id,
        "patient_id": actor.user_id,
        "session_id": session_id,
        "platform": platform,
        "token": token,
        "created_at": now,
        "last_seen_at": now,
    }
    created = bool(insert_ignoring_duplicates(Device, [values], ("token",)))
    device = db.session.scalars(
        sa.select(Device)
        .where(Device.token == token)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if device.patient_id != actor.user_id:
        _move(device, actor, now)
        created = True
    device.platform = platform
    device.last_seen_at = now
    device.session_id = session_id or device.session_id
    _audit(actor, "device.register", device, actor.user_id, now)
    db.session.flush()
    _drop_beyond_cap(actor, now)
    return device, created


def _move(device: Device, actor: Actor, now: datetime) -> None:
    """Hand the token to ``actor`` if its previous owner's session on it has ended."""
    if _session_live(device):
        raise Conflict(STILL_SIGNED_IN)
    # The previous owner's clinic keeps the trail of the token leaving them.
    _audit(actor, "device.moved_away", device, device.patient_id, now, clinic_id=device.clinic_id)
    _audit(actor, "device.moved_here", device, actor.user_id, now)
    device.clinic_id, device.patient_id, device.created_at = actor.clinic_id, actor.user_id, now


def _session_live(device: Device) -> bool:
    """Whether the session that registered the token is still signed in (for a token from
    before sessions were recorded: whether its owner has any live session)."""
    live = TokenFamily.revoked_at.is_(None)
    if device.session_id is not None:
        which = TokenFamily.id == device.session_id
    else:
        which = TokenFamily.user_id == device.patient_id
    return db.session.scalar(sa.select(TokenFamily.id).where(which, live).limit(1)) is not None


def _drop_beyond_cap(actor: Actor, now: datetime) -> None:
    kept = (
        sa.select(Device.id)
        .where(Device.patient_id == actor.user_id)
        .order_by(Device.last_seen_at.desc(), Device.created_at.desc(), Device.id)
        .limit(MAX_DEVICES_PER_PATIENT)
    )
    dropped = list(
        db.session.scalars(
            sa.select(Device).where(Device.patient_id == actor.user_id, Device.id.not_in(kept))
        )
    )
    for device in dropped:
        _audit(actor, "device.drop_oldest", device, device.patient_id, now)
        db.session.delete(device)
    db.session.flush()


def _audit(
    actor: Actor,
    action: str,
    device: Device,
    patient_id: uuid.UUID,
    now: datetime | None,
    clinic_id: uuid.UUID | None = None,
) -> None:
    target = ("device", device.id)
    audit.record(
        action, actor=actor, patient_id=patient_id, target=target, now=now, clinic_id=clinic_id
    )


def remove_device(actor: Actor, device_id: uuid.UUID) -> None:
    """Delete one of the patient's push devices (404 when it is not theirs)."""
    device = get_scoped(Device, device_id, actor)
    _audit(actor, "device.remove", device, device.patient_id, None)
    db.session.delete(device)
    db.session.flush()
