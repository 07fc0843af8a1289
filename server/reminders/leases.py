"""The delivery outbox's claim: a batch of due rows leased in one statement (on PostgreSQL),
read with their records and what re-judging each push needs, or handed over leased by the
claim of their streams; and what to send for them (``outbox`` sends them)."""

from __future__ import annotations

import functools
import uuid
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import sqlalchemy as sa

from server.accounts.models import Patient
from server.db import UTCDateTime
from server.extensions import db
from server.reminders.batches import Handed, among, on_postgresql, push_payload
from server.reminders.contexts import PATIENT_RULE_COLUMNS
from server.reminders.models import Delivery, Device, Notification
from server.reminders.providers import OutboundMessage
from server.reminders.rules import POSTURE_BREAK, SESSION
from server.tracking.models import PostureBreak, SessionLog

# A claimed row is not claimed again before this, so a crash mid-send retries it after.
LEASE = timedelta(minutes=15)

DELIVERIES = Delivery.__table__
DEVICES = Device.__table__
NOTIFICATIONS = Notification.__table__
PATIENTS = Patient.__table__
SESSION_LOGS = SessionLog.__table__
POSTURE_BREAKS = PostureBreak.__table__
# What the re-judgement of a reminder's push needs beyond its patient's settings, read beside
# its record: whether the session was logged since, and the last posture break from the
# record's local date on (later breaks cannot have earlier dates).
LOGGED = sa.case(
    (
        NOTIFICATIONS.c.kind == SESSION,
        sa.exists().where(
            SESSION_LOGS.c.patient_id == NOTIFICATIONS.c.patient_id,
            SESSION_LOGS.c.local_date == NOTIFICATIONS.c.local_date,
            SESSION_LOGS.c.slot == NOTIFICATIONS.c.slot,
        ),
    ),
    else_=sa.false(),
)
LAST_BREAK = sa.case(
    (
        NOTIFICATIONS.c.kind == POSTURE_BREAK,
        sa.select(sa.func.max(POSTURE_BREAKS.c.recorded_at))
        .where(
            POSTURE_BREAKS.c.patient_id == NOTIFICATIONS.c.patient_id,
            POSTURE_BREAKS.c.local_date >= NOTIFICATIONS.c.local_date,
        )
        .scalar_subquery(),
    ),
)


def claim_batch(now: datetime, batch_size: int, leased_at: datetime) -> list[Any]:
    """Up to ``batch_size`` rows due at ``now``, leased from ``leased_at``, each with the
    attempt it is about to make, its reminder record's state and what its re-judgement reads
    (null for alerts). On PostgreSQL one statement claims, leases and reads them."""
    params = {"now": now, "batch_size": batch_size, "lease_until": leased_at + LEASE}
    postgres = on_postgresql()
    rows = db.session.execute(_claim_statement(postgres), params).all()
    if rows and not postgres:
        db.session.execute(
            sa.update(DELIVERIES)
            .where(among(DELIVERIES.c.id, [d.id for d in rows]))
            .values(attempts=DELIVERIES.c.attempts + 1, next_attempt_at=params["lease_until"])
        )
    return rows


@functools.cache
def _claim_statement(postgres: bool) -> sa.Select[Any]:
    """The claim, built once (its construction took more than an idle tick's statements), with
    ``now``, ``batch_size`` and ``lease_until`` bound at execution."""
    now = sa.bindparam("now", type_=UTCDateTime())
    batch_size = sa.bindparam("batch_size", type_=sa.Integer())
    if not postgres:
        # FOR UPDATE, which SQLite's text drops, still makes its transaction take the write
        # lock first (server/database/transactions.py): two processes never claim one row.
        return (
            _with_records(DELIVERIES, DELIVERIES.c.attempts + 1)
            .where(DELIVERIES.c.next_attempt_at <= now)
            .order_by(DELIVERIES.c.next_attempt_at)
            .limit(batch_size)
            .with_for_update(skip_locked=True, of=DELIVERIES)
        )
    due = (
        sa.select(DELIVERIES.c.id, DELIVERIES.c.next_attempt_at)
        .where(DELIVERIES.c.next_attempt_at <= now)
        .order_by(DELIVERIES.c.next_attempt_at)
        .limit(batch_size)
    )
    claimed = due.with_for_update(skip_locked=True).cte("claimed")
    # ``= ANY(ARRAY(SELECT …))``: index lookups of the claimed ids whatever the statistics say
    # (a join may hash the whole table when they are stale or the table was analyzed empty).
    claimed_ids = sa.func.array(sa.select(claimed.c.id).scalar_subquery())
    leased = (
        sa.update(DELIVERIES)
        .where(DELIVERIES.c.id == sa.any_(claimed_ids))
        .values(
            attempts=DELIVERIES.c.attempts + 1,
            next_attempt_at=sa.bindparam("lease_until", type_=UTCDateTime()),
        )
        .returning(*DELIVERIES.c)
        .cte("leased")
    )
    # ``attempts`` comes back already counting this one.
    return (
        _with_records(leased, leased.c.attempts)
        .join(claimed, claimed.c.id == leased.c.id)
        .order_by(claimed.c.next_attempt_at)
    )


def _with_records(deliveries: Any, attempt: Any) -> sa.Select[Any]:
    """The claimed rows of ``deliveries`` with their records and patients (outer joins)."""
    return sa.select(
        deliveries.c.id,
        deliveries.c.channel,
        deliveries.c.kind,
        deliveries.c.recipient_id,
        deliveries.c.payload,
        attempt.label("attempt"),
        deliveries.c.notification_id,
        deliveries.c.created_at,
        deliveries.c.dedupe_key,
        NOTIFICATIONS.c.patient_id.label("record_patient_id"),
        NOTIFICATIONS.c.kind.label("record_kind"),
        NOTIFICATIONS.c.local_date,
        NOTIFICATIONS.c.slot,
        NOTIFICATIONS.c.status.label("record_status"),
        NOTIFICATIONS.c.occurrence_at,
        LOGGED.label("logged"),
        LAST_BREAK.label("last_break"),
        PATIENTS.c.id.label("patient_found"),
        *PATIENT_RULE_COLUMNS,
    ).select_from(
        deliveries.outerjoin(
            NOTIFICATIONS, NOTIFICATIONS.c.id == deliveries.c.notification_id
        ).outerjoin(PATIENTS, PATIENTS.c.id == NOTIFICATIONS.c.patient_id)
    )


class Claimed(NamedTuple):
    """A claimed batch: what to send, how many rows were claimed (rows closed unsent on the
    way, withheld or re-routed, count too: 0 means nothing was due), and the due time of each
    reminder's first push among them (for the dispatch lag)."""

    messages: list[OutboundMessage]
    rows: int
    first_rounds: dict[uuid.UUID, datetime]


class _Queued(NamedTuple):
    """A handed push in the shape of a claimed row, for :func:`messages_of`."""

    id: uuid.UUID
    channel: str
    kind: str
    recipient_id: uuid.UUID
    payload: dict[str, str]
    attempt: int


def handed_over(handed: list[Handed]) -> Claimed:
    """What to send for the pushes a stream claim queued leased to this process: a claimed
    batch with no claim of its own, and no re-judgement (its records were judged due just
    now, in the same tick)."""
    rows = [
        _Queued(
            h.delivery_id,
            "push",
            h.kind,
            h.recipient_id,
            push_payload(h.notification_id, h.kind, h.title, h.message),
            1,
        )
        for h in handed
    ]
    return Claimed(messages_of(rows), len(rows), {h.delivery_id: h.occurrence_at for h in handed})


def messages_of(claimed: list[Any]) -> list[OutboundMessage]:
    """What to send for claimed rows: a push with the recipient's devices, a staff alert."""
    push_recipients = {d.recipient_id for d in claimed if d.channel == "push"}
    devices: dict[uuid.UUID, list[tuple[uuid.UUID, str, str]]] = {}
    if push_recipients:
        rows = db.session.execute(
            sa.select(
                DEVICES.c.patient_id, DEVICES.c.id, DEVICES.c.platform, DEVICES.c.token
            ).where(among(DEVICES.c.patient_id, push_recipients))
        )
        for patient_id, device_id, platform, token in rows:
            devices.setdefault(patient_id, []).append((device_id, platform, token))
    return [
        OutboundMessage(
            delivery_id=d.id,
            channel=d.channel,
            kind=d.kind,
            recipient_id=d.recipient_id,
            payload=d.payload,
            devices=tuple(devices.get(d.recipient_id, ())) if d.channel == "push" else (),
            attempt=d.attempt,
        )
        for d in claimed
    ]
