"""The delivery outbox: enqueue pushes and therapist alerts, claim them, record each outcome.

Rows are claimed with a lease (``next_attempt_at`` moved past the send) and committed before the
provider is called, so no database lock is held during network I/O and two scheduler processes
never send the same row. A crash mid-send retries the row once the lease expires.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from server.accounts.models import Clinic, Patient, User
from server.clock import utcnow
from server.extensions import db
from server.reminders.contexts import zone
from server.reminders.dispatch import insert_ignoring_duplicates
from server.reminders.messages import digest_text, urgent_flag_text
from server.reminders.models import Delivery, Device, Notification
from server.reminders.providers import DeliveryResult, OutboundMessage
from server.reminders.rules import MAX_ATTEMPTS, digest_local_date, retry_delay

LEASE = timedelta(minutes=15)
RETENTION = timedelta(days=30)
OPEN_FLAG_STATUSES = ("open", "acknowledged")


def _enqueue(rows: list[dict[str, Any]]) -> int:
    return len(insert_ignoring_duplicates(Delivery, rows, ("dedupe_key",)))


def _staff_row(
    *, key: str, clinic_id: uuid.UUID, recipient: User, kind: str, payload: dict[str, Any], now
) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "dedupe_key": key,
        "clinic_id": clinic_id,
        "recipient_id": recipient.id,
        "notification_id": None,
        "channel": "staff",
        "kind": kind,
        "payload": payload,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def _alert_recipients(patient: Patient) -> list[User]:
    """The patient's therapist, or the clinic's admins when no therapist is assigned."""
    if patient.therapist_id is not None:
        therapist = db.session.get(User, patient.therapist_id)
        if therapist is not None and therapist.is_active:
            return [therapist]
    return list(
        db.session.scalars(
            sa.select(User).where(
                User.clinic_id == patient.clinic_id,
                User.role == "clinic_admin",
                User.is_active.is_(True),
            )
        )
    )


def enqueue_urgent_flag_alert(*, flag: Any, now: datetime | None = None) -> int:
    """Alert the patient's therapist about an urgent flag at once (next dispatch tick sends it).

    Idempotent per flag and recipient. Returns the number of alerts enqueued. Flushes only.
    """
    now = now or utcnow()
    patient = db.session.get(Patient, flag.patient_id)
    if patient is None:
        return 0
    rows = []
    for recipient in _alert_recipients(patient):
        title, body = urgent_flag_text(recipient.language)
        payload = {
            "type": "urgent_flag",
            "flag_id": str(flag.id),
            "patient_id": str(flag.patient_id),
            "title": title,
            "body": body,
        }
        rows.append(
            _staff_row(
                key=f"urgent_flag:{flag.id}:{recipient.id}",
                clinic_id=patient.clinic_id,
                recipient=recipient,
                kind="urgent_flag",
                payload=payload,
                now=now,
            )
        )
    return _enqueue(rows)


def _open_flag_counts(clinic_id: uuid.UUID) -> dict[uuid.UUID, Counter[str]]:
    """Open (or acknowledged) flags by recipient therapist and severity, for one clinic."""
    from server.flags.models import Flag

    rows = db.session.execute(
        sa.select(Patient.therapist_id, Flag.severity, sa.func.count())
        .join(Patient, Patient.id == Flag.patient_id)
        .where(Flag.clinic_id == clinic_id, Flag.status.in_(OPEN_FLAG_STATUSES))
        .group_by(Patient.therapist_id, Flag.severity)
    )
    counts: dict[uuid.UUID, Counter[str]] = {}
    for therapist_id, severity, n in rows:
        if therapist_id is not None:
            counts.setdefault(therapist_id, Counter())[severity] += n
    return counts


def enqueue_flag_digests(now: datetime | None = None) -> int:
    """Each clinic's daily digest of open flags, once its local 08:00 has passed that day.

    Idempotent: one digest per therapist per clinic-local date (the outbox ``dedupe_key``).
    """
    now = now or utcnow()
    rows = []
    for clinic_id, tz_name in db.session.execute(sa.select(Clinic.id, Clinic.timezone)):
        local_date = digest_local_date(now, zone(tz_name))
        if local_date is None:
            continue
        counts = _open_flag_counts(clinic_id)
        therapists = db.session.scalars(
            sa.select(User).where(User.id.in_(counts), User.is_active.is_(True))
        )
        for therapist in therapists:
            by_severity = counts[therapist.id]
            total = sum(by_severity.values())
            title, body = digest_text(
                therapist.language,
                total=total,
                urgent=by_severity["urgent"],
                high=by_severity["high"],
            )
            payload = {
                "type": "flag_digest",
                "local_date": local_date.isoformat(),
                "open_flags": total,
                "title": title,
                "body": body,
            }
            rows.append(
                _staff_row(
                    key=f"digest:{therapist.id}:{local_date.isoformat()}",
                    clinic_id=clinic_id,
                    recipient=therapist,
                    kind="flag_digest",
                    payload=payload,
                    now=now,
                )
            )
    return _enqueue(rows)


def claim_deliveries(now: datetime, batch_size: int) -> list[OutboundMessage]:
    """Lease a batch of deliveries due at ``now`` and return what to send. Flushes only."""
    deliveries = list(
        db.session.scalars(
            sa.select(Delivery)
            .where(Delivery.next_attempt_at <= now)
            .order_by(Delivery.next_attempt_at)
            .limit(batch_size)
            .with_for_update(skip_locked=True)
        )
    )
    push_recipients = {d.recipient_id for d in deliveries if d.channel == "push"}
    devices: dict[uuid.UUID, list[tuple[uuid.UUID, str, str]]] = {}
    if push_recipients:
        for device in db.session.scalars(
            sa.select(Device).where(Device.patient_id.in_(push_recipients))
        ):
            devices.setdefault(device.patient_id, []).append(
                (device.id, device.platform, device.token)
            )
    messages = []
    for delivery in deliveries:
        delivery.attempts += 1
        delivery.next_attempt_at = now + LEASE
        messages.append(
            OutboundMessage(
                delivery_id=delivery.id,
                channel=delivery.channel,
                kind=delivery.kind,
                recipient_id=delivery.recipient_id,
                payload=dict(delivery.payload),
                devices=tuple(devices.get(delivery.recipient_id, ())),
                attempt=delivery.attempts,
            )
        )
    db.session.flush()
    return messages


def record_delivery_results(
    outcomes: list[tuple[uuid.UUID, DeliveryResult]],
    now: datetime,
    max_attempts: int = MAX_ATTEMPTS,
) -> Counter[str]:
    """Store each send's outcome: sent, failed (retried with backoff) or dead. Flushes only."""
    results = dict(outcomes)
    deliveries = db.session.scalars(
        sa.select(Delivery).where(Delivery.id.in_(results)).with_for_update()
    )
    unregistered = [d for result in results.values() for d in result.unregistered_device_ids]
    if unregistered:
        db.session.execute(sa.delete(Device).where(Device.id.in_(unregistered)))
    finished: dict[str, list[uuid.UUID]] = {"sent": [], "dead": []}
    statuses: Counter[str] = Counter()
    for delivery in deliveries:
        result = results[delivery.id]
        if result.ok:
            delivery.status, delivery.sent_at, delivery.last_error = "sent", now, None
            delivery.next_attempt_at = None
        elif result.retryable and delivery.attempts < max_attempts:
            delivery.status, delivery.last_error = "failed", (result.error or "error")[:200]
            delivery.next_attempt_at = now + retry_delay(delivery.attempts)
        else:
            delivery.status, delivery.last_error = "dead", (result.error or "error")[:200]
            delivery.next_attempt_at = None
        statuses[delivery.status] += 1
        if delivery.notification_id is not None and delivery.status in finished:
            finished[delivery.status].append(delivery.notification_id)
    for status, notification_status in (("sent", "sent"), ("dead", "failed")):
        if finished[status]:
            # Only a record still waiting for its push moves on; a snooze meanwhile wins.
            db.session.execute(
                sa.update(Notification)
                .where(Notification.id.in_(finished[status]), Notification.status == "due")
                .values(status=notification_status, sent_at=now if status == "sent" else None)
            )
    db.session.flush()
    return statuses


def purge_old_deliveries(now: datetime | None = None, retention: timedelta = RETENTION) -> int:
    """Delete final (sent or dead) outbox rows older than ``retention``. Flushes only."""
    now = now or utcnow()
    result = db.session.execute(
        sa.delete(Delivery).where(
            Delivery.status.in_(("sent", "dead")), Delivery.created_at < now - retention
        )
    )
    return result.rowcount or 0
