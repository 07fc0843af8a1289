"""Reminder use cases: stream refresh (called by other domains), inbox, snooze and devices."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from server.access import Actor, get_scoped, scoped
from server.audit import services as audit
from server.clock import utcnow
from server.errors import Unprocessable
from server.extensions import db
from server.pagination import paginate
from server.reminders.alerts import (
    enqueue_consent_withdrawn_alert,
    enqueue_flag_digests,
    enqueue_password_reset_notice,
    enqueue_urgent_flag_alert,
)
from server.reminders.batches import insert_ignoring_duplicates
from server.reminders.contexts import load_reminder_infos
from server.reminders.devices import register_device, remove_device
from server.reminders.dispatch import (
    claim_due_snoozes,
    claim_due_streams,
    lookback_date,
    preview_due,
)
from server.reminders.models import Delivery, Device, Notification, ReminderStream, ReplanMark
from server.reminders.rules import KINDS, next_occurrence, refresh_after, snooze_until

__all__ = [
    "claim_due_snoozes",
    "claim_due_streams",
    "enqueue_consent_withdrawn_alert",
    "enqueue_flag_digests",
    "enqueue_password_reset_notice",
    "enqueue_urgent_flag_alert",
    "erase_patient_reminders",
    "list_notifications",
    "mark_notification_read",
    "preview_due",
    "refresh_reminder_streams",
    "refresh_streams",
    "register_device",
    "remove_device",
    "snooze_notification",
    "stop_reminders",
]
# The inbox shows what reached the patient in-app; a missed occurrence never did.
INBOX_STATUSES = ("due", "sent", "snoozed", "failed", "suppressed")


def refresh_reminder_streams(patient_id: uuid.UUID, now: datetime | None = None) -> None:
    """Recompute a patient's reminder streams (after a programme revision or a preference
    change). Creates the streams on first use. Flushes only.
    """
    refresh_streams({getattr(patient_id, "id", patient_id): now or utcnow()})  # or a Patient


def refresh_streams(as_of: Mapping[uuid.UUID, datetime]) -> None:
    """Recompute the streams of many patients, each as of its own time (the dispatch tick's
    replans, the reconcile job), with one context load and one lock. Flushes only."""
    if not as_of:
        return
    infos = load_reminder_infos(list(as_of), since=lookback_date(min(as_of.values())))
    patient_ids = [patient_id for patient_id in as_of if patient_id in infos]
    if not patient_ids:
        return
    streams = _locked_streams(patient_ids)
    present = {(stream.patient_id, stream.kind) for stream in streams}
    missing = [
        {
            "id": uuid.uuid4(),
            "clinic_id": infos[patient_id].clinic_id,
            "patient_id": patient_id,
            "kind": kind,
            "updated_at": as_of[patient_id],
        }
        for patient_id in patient_ids
        for kind in KINDS
        if (patient_id, kind) not in present
    ]
    if missing:  # first use: create them, then lock
        insert_ignoring_duplicates(ReminderStream, missing, ("patient_id", "kind"))
        streams = _locked_streams(patient_ids)
    changes = []
    for stream in streams:
        now = as_of[stream.patient_id]
        after = refresh_after(stream.last_occurrence_at, stream.kind, now)
        upcoming = next_occurrence(stream.kind, infos[stream.patient_id].ctx, after)
        changes.append(
            {"stream_id": stream.id, "due": upcoming.at if upcoming else None, "now": now}
        )
        set_committed_value(stream, "next_due_at", changes[-1]["due"])
        set_committed_value(stream, "updated_at", now)
    # Every stream in one executemany (the unit of work would group them by changed columns).
    db.session.execute(_REFRESH, changes)
    db.session.flush()


_REFRESH = (
    sa.update(ReminderStream.__table__)
    .where(ReminderStream.__table__.c.id == sa.bindparam("stream_id"))
    .values(next_due_at=sa.bindparam("due"), updated_at=sa.bindparam("now"))
)


def _locked_streams(patient_ids: Sequence[uuid.UUID]) -> list[ReminderStream]:
    """The patients' reminder streams, locked for update in one order (freshly loaded)."""
    return list(
        db.session.scalars(
            sa.select(ReminderStream)
            .where(ReminderStream.patient_id.in_(patient_ids))
            .order_by(ReminderStream.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )


def list_notifications(
    actor: Actor, *, since: datetime | None, limit: int, cursor: str | None
) -> tuple[list[Notification], str | None]:
    """The patient's in-app inbox, newest first, optionally only occurrences from ``since``
    (an audited read of patient data)."""
    stmt = scoped(Notification, actor).where(Notification.status.in_(INBOX_STATUSES))
    if since is not None:
        stmt = stmt.where(Notification.occurrence_at >= since)
    page = paginate(
        stmt,
        keys=[(Notification.occurrence_at, True), (Notification.id, True)],
        key_of=lambda n: (n.occurrence_at, n.id),
        limit=limit,
        cursor=cursor,
    )
    audit.read(
        "notification.list", actor=actor, patient_id=actor.user_id, target=("notification", None)
    )
    return page


def snooze_notification(
    actor: Actor, notification_id: uuid.UUID, *, minutes: int, now: datetime | None = None
) -> Notification:
    """Re-schedule one occurrence ``minutes`` (10, 20 or 30) from now; the same record fires."""
    now = now or utcnow()
    notification = get_scoped(Notification, notification_id, actor)
    try:
        until = snooze_until(now, minutes)
    except ValueError as error:
        raise Unprocessable(str(error), errors={"minutes": [str(error)]}) from error
    notification.status = "snoozed"
    notification.snoozed_until = until
    notification.snooze_count += 1
    notification.read_at = notification.read_at or now
    _audit(actor, "notification.snooze", notification, now)
    db.session.flush()
    return notification


def mark_notification_read(
    actor: Actor, notification_id: uuid.UUID, *, now: datetime | None = None
) -> Notification:
    """Mark one inbox entry as read (idempotent; every call is an audited write)."""
    now = now or utcnow()
    notification = get_scoped(Notification, notification_id, actor)
    notification.read_at = notification.read_at or now
    _audit(actor, "notification.read", notification, now)
    db.session.flush()
    return notification


def _audit(actor: Actor, action: str, notification: Notification, now: datetime) -> None:
    target = ("notification", notification.id)
    audit.record(action, actor=actor, patient_id=notification.patient_id, target=target, now=now)


def stop_reminders(patient_id: uuid.UUID, now: datetime) -> None:
    """Nothing more is planned or sent to the patient: streams stop, snoozes end and pushes
    still queued are closed unsent. Flushes only."""
    db.session.execute(
        sa.update(ReminderStream)
        .where(ReminderStream.patient_id == patient_id)
        .values(next_due_at=None, updated_at=now)
    )
    db.session.execute(
        sa.update(Notification)
        .where(Notification.patient_id == patient_id, Notification.status == "snoozed")
        .values(status="suppressed", snoozed_until=None)
    )
    db.session.execute(
        sa.update(Delivery)
        .where(Delivery.recipient_id == patient_id, Delivery.status == "pending")
        .values(status="dead", next_attempt_at=None, last_error="processing stopped")
    )


def erase_patient_reminders(patient_id: uuid.UUID, clinic_id: uuid.UUID) -> None:
    """Remove the patient's reminders, inbox, pushes and devices, and the staff alerts about
    them still waiting to go out (erasure). Flushes only."""
    pending_alerts = [
        delivery.id
        for delivery in db.session.scalars(
            sa.select(Delivery).where(
                Delivery.clinic_id == clinic_id,
                Delivery.channel == "staff",
                Delivery.status == "pending",
            )
        )
        if delivery.payload.get("patient_id") == str(patient_id)
    ]
    db.session.execute(
        sa.delete(Delivery).where(
            sa.or_(Delivery.recipient_id == patient_id, Delivery.id.in_(pending_alerts))
        )
    )
    for model in (Notification, ReminderStream, ReplanMark, Device):
        db.session.execute(sa.delete(model).where(model.patient_id == patient_id))
