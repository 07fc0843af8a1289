"""The dispatch tick's database side: claim due streams, record occurrences, move streams on.

Claiming is ``SELECT … WHERE next_due_at <= now ORDER BY next_due_at LIMIT n FOR UPDATE SKIP
LOCKED`` on PostgreSQL, so several scheduler processes share the work; SQLite has one writer
(``BEGIN IMMEDIATE``). Every occurrence is inserted under the unique (patient, kind,
occurrence_at) key with ON CONFLICT DO NOTHING: a duplicate means another process recorded it,
and only rows this transaction inserted get an outbox delivery.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from server.db import UTCDateTime
from server.extensions import db
from server.reminders.batches import (
    Handed,
    insert_ignoring_duplicates,
    push_delivery_row,
    write_batch,
)
from server.reminders.contexts import PatientReminderInfo, load_reminder_infos
from server.reminders.messages import reminder_text
from server.reminders.models import Delivery, Notification, ReminderStream
from server.reminders.rules import (
    CATCH_UP_WINDOW,
    Occurrence,
    catch_up_start,
    occurrence_status,
    walk,
)

STREAMS = ReminderStream.__table__


@dataclass
class ClaimResult:
    """What one claimed batch did: streams claimed, occurrences recorded by status, and the
    pushes queued leased to the caller for it to send."""

    claimed: int = 0
    recorded: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0
    handed: list[Handed] = field(default_factory=list)


@dataclass(frozen=True)
class PlannedOccurrence:
    """An occurrence a claim would record, with the status it would get."""

    patient_id: uuid.UUID
    occurrence: Occurrence
    status: str


def lookback_date(now: datetime) -> date:
    """The earliest local date whose logs can matter to a claim at ``now`` (any zone)."""
    return (now - CATCH_UP_WINDOW - timedelta(days=2)).date()


def plan_stream(
    kind: str, next_due_at: datetime, info: PatientReminderInfo, now: datetime
) -> tuple[list[PlannedOccurrence], Occurrence | None]:
    """The occurrences of a due stream up to ``now`` with their statuses, and the next one."""
    ctx = info.ctx
    due, upcoming = walk(kind, ctx, catch_up_start(next_due_at, now), now)
    planned = [
        PlannedOccurrence(info.patient_id, occ, occurrence_status(occ, ctx, now)) for occ in due
    ]
    return planned, upcoming


def notification_row(
    planned: PlannedOccurrence, info: PatientReminderInfo, now: datetime
) -> dict[str, Any]:
    """The ``notifications`` row of a planned occurrence, text in the patient's language (its
    id is made when it is written)."""
    occ = planned.occurrence
    title, message = reminder_text(occ.kind, info.language, occ.slot)
    return {
        "clinic_id": info.clinic_id,
        "patient_id": info.patient_id,
        "kind": occ.kind,
        "occurrence_at": occ.at,
        "status": planned.status,
        "local_date": occ.local_date,
        "slot": occ.slot,
        "language": info.language,
        "title": title,
        "message": message,
        "snooze_count": 0,
        "created_at": now,
    }


# Due streams, oldest first, locked and skipping rows another process holds; built once, with
# ``now`` and ``batch_size`` bound at execution (an idle tick runs little else).
DUE_STREAMS = (
    sa.select(
        STREAMS.c.id,
        STREAMS.c.patient_id,
        STREAMS.c.kind,
        STREAMS.c.next_due_at,
        STREAMS.c.last_occurrence_at,
    )
    .where(STREAMS.c.next_due_at <= sa.bindparam("now", type_=UTCDateTime()))
    .order_by(STREAMS.c.next_due_at)
    .limit(sa.bindparam("batch_size", type_=sa.Integer()))
    .with_for_update(skip_locked=True)
)


def claim_due_streams(
    now: datetime, batch_size: int, lease_until: datetime | None = None
) -> ClaimResult:
    """Claim one batch of due streams, record their occurrences and set their next_due_at.

    Flushes only: the caller commits the batch, then the outbox delivers its pushes; with
    ``lease_until`` they are queued leased to the caller, which sends them itself.
    """
    streams = db.session.execute(DUE_STREAMS, {"now": now, "batch_size": batch_size}).all()
    result = ClaimResult(claimed=len(streams))
    if not streams:
        return result
    infos = load_reminder_infos({s.patient_id for s in streams}, since=lookback_date(now))
    rows, moves = [], []
    for stream in streams:
        info = infos.get(stream.patient_id)
        planned, upcoming = (
            plan_stream(stream.kind, stream.next_due_at, info, now) if info else ([], None)
        )
        rows += [notification_row(p, info, now) for p in planned if info]
        moves.append(
            {
                "stream_id": stream.id,
                "next_due": upcoming.at if upcoming else None,
                "last_occurrence": planned[-1].occurrence.at
                if planned
                else stream.last_occurrence_at,
                "updated": now,
            }
        )
    result.recorded, result.duplicates, result.handed = write_batch(rows, moves, now, lease_until)
    return result


def preview_due(now: datetime, limit: int = 1000) -> list[PlannedOccurrence]:
    """What a tick at ``now`` would record (without locking or writing anything)."""
    streams = list(
        db.session.scalars(
            sa.select(ReminderStream)
            .where(ReminderStream.next_due_at <= now)
            .order_by(ReminderStream.next_due_at)
            .limit(limit)
        )
    )
    infos = load_reminder_infos({s.patient_id for s in streams}, since=lookback_date(now))
    planned: list[PlannedOccurrence] = []
    for stream in streams:
        if info := infos.get(stream.patient_id):
            planned += plan_stream(stream.kind, stream.next_due_at, info, now)[0]
    return sorted(planned, key=lambda p: (p.occurrence.at, str(p.patient_id)))


def claim_due_snoozes(now: datetime, batch_size: int) -> ClaimResult:
    """Claim snoozed notifications whose time has come and deliver each once more.

    The record is re-scheduled, not duplicated: it goes back to ``due`` with a new outbox round
    (``suppressed`` in quiet hours, ``missed`` past grace, left ``sent`` if the session was
    logged meanwhile).
    """
    notifications = list(
        db.session.scalars(
            sa.select(Notification)
            .where(Notification.status == "snoozed", Notification.snoozed_until <= now)
            .order_by(Notification.snoozed_until)
            .limit(batch_size)
            .with_for_update(skip_locked=True)
        )
    )
    result = ClaimResult(claimed=len(notifications))
    if not notifications:
        return result
    infos = load_reminder_infos({n.patient_id for n in notifications}, since=lookback_date(now))
    deliveries = []
    for notification in notifications:
        info = infos.get(notification.patient_id)
        status = "missed"
        if info is not None:
            ctx = info.ctx
            again = Occurrence(
                notification.kind, notification.snoozed_until, notification.local_date
            )
            status = occurrence_status(again, ctx, now)
            if (notification.local_date, notification.slot) in ctx.logged_sessions:
                status = "sent"
        notification.status = status
        notification.snoozed_until = None
        result.recorded[status] += 1
        if status == "due":
            deliveries.append(push_delivery_row(_as_row(notification), now))
    db.session.flush()
    insert_ignoring_duplicates(Delivery, deliveries, ("dedupe_key",))
    return result


def _as_row(notification: Notification) -> dict[str, Any]:
    return {
        "id": notification.id,
        "kind": notification.kind,
        "title": notification.title,
        "message": notification.message,
        "clinic_id": notification.clinic_id,
        "patient_id": notification.patient_id,
        "snooze_count": notification.snooze_count,
    }
