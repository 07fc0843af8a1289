"""The delivery outbox: claim due pushes and alerts, send them, record each outcome (what
enqueues them: ``dispatch`` for reminders, ``alerts`` for the rest).

Rows are claimed with a lease (``next_attempt_at`` moved past the send) and committed before the
provider is called, so no database lock is held during network I/O and two scheduler processes
never send the same row. A crash mid-send retries the row once the lease expires.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from server.accounts.models import User
from server.clock import utcnow
from server.extensions import db
from server.measures.due import unanswered_due_dates
from server.metrics import count_withheld
from server.reminders.alerts import requeue_urgent_alert
from server.reminders.batches import among, mark_sent, on_postgresql
from server.reminders.contexts import PATIENT_RULE_COLUMNS, rule_context
from server.reminders.leases import DELIVERIES, Claimed, claim_batch, messages_of
from server.reminders.models import Delivery, Device, Notification
from server.reminders.providers import DeliveryResult
from server.reminders.rules import MEASURE, ReminderContext
from server.reminders.send_rules import MAX_ATTEMPTS, retry_delay, withheld_status

RETENTION = timedelta(days=30)


def claim_deliveries(
    now: datetime, batch_size: int, *, leased_at: datetime | None = None
) -> Claimed:
    """Lease a batch of deliveries due at ``now`` for ``leases.LEASE`` from ``leased_at`` (the
    moment of the claim; default ``now``) and return what to send. Flushes only."""
    claimed = claim_batch(now, batch_size, leased_at or now)
    closed = _close_unsendable(claimed, now, leased_at or now)
    first_rounds = {
        d.id: d.occurrence_at
        for d in claimed
        if d.channel == "push" and d.occurrence_at is not None and d.dedupe_key.endswith(":0")
    }
    messages = messages_of([d for d in claimed if d.id not in closed])
    return Claimed(messages, len(claimed), first_rounds)


def _close_unsendable(claimed: list[Any], now: datetime, leased_at: datetime) -> set[uuid.UUID]:
    """Close, unsent, the claimed rows that must not go out as queued; returns their ids."""
    if not claimed:
        return set()
    closed = _withhold_outdated_reminders(claimed, leased_at)
    return closed | _reroute_alerts_of_inactive_staff(claimed, due=now)


def _withhold_outdated_reminders(claimed: list[Any], at: datetime) -> set[uuid.UUID]:
    """Close, unsent, the claimed reminder pushes that must not go out at ``at`` any more
    (:func:`~server.reminders.send_rules.withheld_status`): the delivery dead with the reason, its
    record ``suppressed`` or ``missed``; and those of a record the patient snoozed meanwhile
    (it comes back as a new round when the snooze ends). Returns their delivery ids."""
    records = [d for d in claimed if d.record_status in ("due", "snoozed")]
    if not records:
        return set()
    measures = [r for r in records if r.record_kind == MEASURE and r.patient_found]
    measures_due = (
        unanswered_due_dates(
            {r.record_patient_id for r in measures}, since=min(r.local_date for r in measures)
        )
        if measures
        else {}
    )
    withheld: dict[str, list[tuple[uuid.UUID, uuid.UUID]]] = {}
    contexts: dict[tuple[Any, ...], ReminderContext] = {}
    for record in records:
        if record.record_status == "snoozed":
            status: str | None = "snoozed"
        elif record.patient_found is None:
            status = "missed"
        else:
            status = withheld_status(
                record.record_kind,
                record.local_date,
                record.slot,
                record.created_at,
                _judging_context(record, measures_due, contexts),
                at,
            )
        if status is not None:
            withheld.setdefault(status, []).append((record.id, record.notification_id))
    for status, pairs in withheld.items():
        count_withheld(status, len(pairs))
        db.session.execute(
            sa.update(DELIVERIES)
            .where(among(DELIVERIES.c.id, [delivery_id for delivery_id, _ in pairs]))
            .values(status="dead", next_attempt_at=None, last_error=f"withheld: {status}")
        )
        if status == "snoozed":
            continue  # the record stays snoozed
        db.session.execute(
            sa.update(Notification.__table__)
            .where(among(Notification.id, [record_id for _, record_id in pairs]))
            .values(status=status)
        )
    return {delivery_id for pairs in withheld.values() for delivery_id, _ in pairs}


def _judging_context(
    record: Any,
    measures_due: dict[uuid.UUID, set[date]],
    contexts: dict[tuple[Any, ...], ReminderContext],
) -> ReminderContext:
    """The rule context a claimed record is judged by, from the row the claim read (the
    patient's settings are its last columns). Made once per distinct settings and reads in a
    batch (``contexts``): a context holds no patient id and never changes, and a batch's
    records mostly share them (building one was most of the re-judgement)."""
    patient_id = record.record_patient_id
    settings = tuple(record[-len(PATIENT_RULE_COLUMNS) :])
    logged = frozenset({(record.local_date, record.slot)} if record.logged else ())
    measures = frozenset(measures_due.get(patient_id, ()))
    key = (settings, logged, record.last_break, measures)
    if (ctx := contexts.get(key)) is None:
        ctx = contexts[key] = rule_context(
            patient_id,
            *settings,
            logged_sessions=logged,
            last_posture_break_at=record.last_break,
            measures_due=measures,
        )
    return ctx


def _reroute_alerts_of_inactive_staff(claimed: list[Any], *, due: datetime) -> set[uuid.UUID]:
    """Staff alerts whose recipient has been deactivated since they were queued: closed unsent
    (dead, ``withheld: recipient inactive``); an urgent alert is queued again, ``due`` at once,
    for whoever the patient's alerts go to now (a digest is rebuilt for the right people the
    next day). Returns the closed delivery ids."""
    to_staff = [d for d in claimed if d.channel == "staff"]
    if not to_staff:
        return set()
    inactive = set(
        db.session.scalars(
            sa.select(User.id).where(
                among(User.id, {d.recipient_id for d in to_staff}), User.is_active.is_(False)
            )
        )
    )
    gone = [d for d in to_staff if d.recipient_id in inactive]
    if not gone:
        return set()
    db.session.execute(
        sa.update(DELIVERIES)
        .where(among(DELIVERIES.c.id, [d.id for d in gone]))
        .values(status="dead", next_attempt_at=None, last_error="withheld: recipient inactive")
    )
    for delivery in (d for d in gone if d.kind == "urgent_flag"):
        requeue_urgent_alert(dedupe_key=delivery.dedupe_key, payload=delivery.payload, now=due)
    return {d.id for d in gone}


def _finish(ids: list[uuid.UUID], status: str, now: datetime, errors: dict) -> None:
    """Mark deliveries final (sent or dead) and move their notifications on, in bulk."""
    if not ids:
        return
    values: dict[str, Any] = {"status": status, "next_attempt_at": None}
    if status == "sent" and on_postgresql():
        mark_sent(ids, now)
        return
    if status == "sent":
        values |= {"sent_at": now, "last_error": None}
        db.session.execute(sa.update(DELIVERIES).where(among(DELIVERIES.c.id, ids)).values(values))
    else:
        for delivery_id in ids:
            db.session.execute(
                sa.update(DELIVERIES)
                .where(DELIVERIES.c.id == delivery_id)
                .values(values | {"last_error": errors[delivery_id]})
            )
    notification_ids = sa.select(DELIVERIES.c.notification_id).where(
        among(DELIVERIES.c.id, ids), DELIVERIES.c.notification_id.is_not(None)
    )
    # Only a record still waiting for its push moves on; a snooze meanwhile wins.
    db.session.execute(
        sa.update(Notification.__table__)
        .where(Notification.id.in_(notification_ids), Notification.status == "due")
        .values(
            status="sent" if status == "sent" else "failed",
            sent_at=now if status == "sent" else None,
        )
    )


def record_delivery_results(
    outcomes: list[tuple[uuid.UUID, DeliveryResult]],
    now: datetime,
    max_attempts: int = MAX_ATTEMPTS,
) -> Counter[str]:
    """Store each send's outcome: sent, failed (retried with backoff) or dead. Flushes only."""
    results = dict(outcomes)
    unregistered = [d for result in results.values() for d in result.unregistered_device_ids]
    if unregistered:
        db.session.execute(sa.delete(Device).where(among(Device.id, unregistered)))
    sent = [delivery_id for delivery_id, result in results.items() if result.ok]
    failed = [delivery_id for delivery_id, result in results.items() if not result.ok]
    attempts = dict(
        db.session.execute(
            sa.select(DELIVERIES.c.id, DELIVERIES.c.attempts).where(among(DELIVERIES.c.id, failed))
        ).all()
        if failed
        else []
    )
    errors = {d: (results[d].error or "error")[:200] for d in failed}
    dead, retried = [], []
    for delivery_id in failed:
        if results[delivery_id].retryable and attempts.get(delivery_id, 0) < max_attempts:
            retried.append(delivery_id)
            db.session.execute(
                sa.update(DELIVERIES)
                .where(DELIVERIES.c.id == delivery_id)
                .values(
                    status="failed",
                    last_error=errors[delivery_id],
                    next_attempt_at=now + retry_delay(attempts[delivery_id]),
                )
            )
        else:
            dead.append(delivery_id)
    _finish(sent, "sent", now, errors)
    _finish(dead, "dead", now, errors)
    return Counter({"sent": len(sent), "failed": len(retried), "dead": len(dead)}) + Counter()


def sent_reminder_due_times(
    claimed: Claimed, outcomes: list[tuple[uuid.UUID, DeliveryResult]]
) -> list[datetime]:
    """The due times of the reminders whose first push (not a snoozed round) was just sent."""
    return [
        claimed.first_rounds[delivery_id]
        for delivery_id, result in outcomes
        if result.ok and delivery_id in claimed.first_rounds
    ]


def purge_old_deliveries(now: datetime | None = None, retention: timedelta = RETENTION) -> int:
    """Delete final (sent or dead) outbox rows older than ``retention``. Flushes only."""
    now = now or utcnow()
    result = db.session.execute(
        sa.delete(Delivery).where(
            Delivery.status.in_(("sent", "dead")), Delivery.created_at < now - retention
        )
    )
    return result.rowcount or 0
