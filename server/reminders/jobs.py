"""Thin job wrappers: each calls services inside the caller's app context and commits per batch."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from time import monotonic

import sqlalchemy as sa
from flask import current_app

from server.accounts.models import Patient
from server.clock import utcnow
from server.collector import collector_paused
from server.commit import committed
from server.extensions import db
from server.metrics import count_deliveries, count_reminder_occurrences, observe_dispatch_lags
from server.programmes.models import Programme
from server.reminders.alerts import enqueue_flag_digests
from server.reminders.batches import on_postgresql
from server.reminders.dispatch import ClaimResult, claim_due_snoozes, claim_due_streams
from server.reminders.leases import LEASE, Claimed, handed_over
from server.reminders.models import ReminderStream
from server.reminders.outbox import (
    claim_deliveries,
    purge_old_deliveries,
    record_delivery_results,
    sent_reminder_due_times,
)
from server.reminders.providers import (
    DeliveryResult,
    OutboundMessage,
    PushProvider,
    provider_from_config,
)
from server.reminders.replans import replan_marked
from server.reminders.send_rules import MAX_ATTEMPTS
from server.reminders.services import refresh_streams
from server.side_by_side import side_by_side

log = logging.getLogger(__name__)
# Rows a delivery batch claims when the provider names no size: network sends (a webhook's
# 5 s timeout each, FCM's) must end well inside the lease (leases.LEASE, 15 min).
DELIVERY_BATCH = 100
RECONCILE_BATCH = 500


@dataclass
class TickReport:
    """Totals of one dispatch tick."""

    replans: int = 0
    streams: int = 0
    snoozes: int = 0
    duplicates: int = 0
    recorded: Counter[str] = field(default_factory=Counter)
    deliveries: Counter[str] = field(default_factory=Counter)

    def add(self, other: TickReport) -> None:
        """Count in what another claim worker of the same tick recorded and sent."""
        self.recorded.update(other.recorded)
        self.duplicates += other.duplicates
        self.deliveries.update(other.deliveries)

    def summary(self) -> str:
        recorded = ", ".join(f"{k}={v}" for k, v in sorted(self.recorded.items())) or "none"
        sent = ", ".join(f"{k}={v}" for k, v in sorted(self.deliveries.items())) or "none"
        return (
            f"replans={self.replans} streams claimed={self.streams} snoozes={self.snoozes} "
            f"duplicates={self.duplicates}; occurrences: {recorded}; deliveries: {sent}"
        )


def _commit_batch(claim, now: datetime, batch_size: int, report: TickReport, then=None) -> int:
    """Run ``claim`` once and commit it, then call ``then`` with its result; returns how many
    it claimed."""
    with collector_paused(), committed():
        result: ClaimResult = claim(now, batch_size)
    count_reminder_occurrences(result.recorded)
    report.recorded.update(result.recorded)
    report.duplicates += result.duplicates
    if then is not None:
        then(result)
    return result.claimed


def _commit_batches(claim, now: datetime, batch_size: int, report: TickReport, then=None) -> int:
    """Run ``claim`` batch after batch, each committed, until one comes back short."""
    total = 0
    while True:
        claimed = _commit_batch(claim, now, batch_size, report, then)
        total += claimed
        if claimed < batch_size:
            return total


@contextmanager
def _provider(given: PushProvider | None) -> Iterator[PushProvider]:
    """``given``, or the configured provider, made for this run and closed after it."""
    if given is not None:
        yield given
        return
    made = provider_from_config(current_app.config)
    try:
        yield made
    finally:
        made.close()


class _RunClock:
    """``now`` moved on by the time this run has taken so far: each batch's lease, backoff and
    sent time count from it. In a long run (a catch-up, a slow webhook) later batches would
    otherwise be leased already expired, for another scheduler process to send again."""

    def __init__(self, now: datetime) -> None:
        self.now, self.started = now, monotonic()

    def __call__(self) -> datetime:
        return self.now + timedelta(seconds=monotonic() - self.started)


def _batch_of(provider: PushProvider) -> int:
    """How many sends one batch may hold and still end inside its lease."""
    return getattr(provider, "batch_size", DELIVERY_BATCH)


def claim_and_send_streams(
    now: datetime, batch_size: int, provider: PushProvider, report: TickReport, workers: int = 1
) -> int:
    """Claim due streams batch after batch, committing each; a batch's new pushes are queued
    leased to this process and sent as soon as it commits, with no claim of their own (should
    the process die in between, the outbox sends them when the lease runs out). A batch holds
    no more streams than the provider's sends fit in one lease.

    When the first batch comes back full, ``workers`` claim the rest side by side, each on its
    own connection: SKIP LOCKED keeps their batches apart (as between scheduler processes), and
    one worker's rules run while another waits on the database."""
    clock = _RunClock(now)
    batch_size = min(batch_size, _batch_of(provider))

    def claim(now: datetime, batch_size: int) -> ClaimResult:
        return claim_due_streams(now, batch_size, clock() + LEASE)

    def sender(into: TickReport) -> Callable[[ClaimResult], None]:
        def send(result: ClaimResult) -> None:
            if result.handed:
                into.deliveries.update(_send_claimed(provider, handed_over(result.handed), clock))

        return send

    def rest() -> tuple[int, TickReport]:
        own = TickReport()
        return _commit_batches(claim, now, batch_size, own, then=sender(own)), own

    claimed = _commit_batch(claim, now, batch_size, report, then=sender(report))
    if claimed < batch_size:
        return claimed
    for more, own in side_by_side(rest, workers):
        claimed += more
        report.add(own)
    return claimed


def deliver_pending(
    now: datetime | None = None,
    *,
    provider: PushProvider | None = None,
    batch_size: int | None = None,
) -> Counter[str]:
    """Send every outbox row due at ``now`` through the provider; commit claim and outcome.

    A batch holds ``batch_size`` rows, by default as many as the provider's sends fit in one
    lease (its ``batch_size``, else :data:`DELIVERY_BATCH`).
    """
    clock = _RunClock(now or utcnow())
    statuses: Counter[str] = Counter()
    with _provider(provider) as provider:
        batch_size = batch_size or _batch_of(provider)
        while True:
            with collector_paused(), committed():
                claimed = claim_deliveries(clock.now, batch_size, leased_at=clock())
            if not claimed.rows:
                return statuses
            statuses.update(_send_claimed(provider, claimed, clock))


def _send_claimed(provider: PushProvider, claimed: Claimed, clock: _RunClock) -> Counter[str]:
    """Send a claimed batch and commit each outcome; returns them by status."""
    with collector_paused(), committed():
        outcomes = [(m.delivery_id, _send(provider, m)) for m in claimed.messages]
        sent_at = clock()
        statuses = record_delivery_results(outcomes, sent_at)
        count_deliveries(claimed.messages, outcomes, MAX_ATTEMPTS)
        observe_dispatch_lags(sent_reminder_due_times(claimed, outcomes), sent_at)
    return statuses


def _send(provider: PushProvider, message: OutboundMessage) -> DeliveryResult:
    """The provider's result for one message; a provider bug is a retryable failure, so it
    cannot lose the batch's other outcomes."""
    try:
        return provider.send(message)
    except Exception as error:
        log.warning(
            "provider error",
            extra={"delivery_id": str(message.delivery_id), "error": type(error).__name__},
        )
        return DeliveryResult(ok=False, retryable=True, error=type(error).__name__)


def dispatch_tick(
    now: datetime | None = None,
    *,
    batch_size: int | None = None,
    provider: PushProvider | None = None,
) -> TickReport:
    """One dispatch tick as of ``now``: replan the streams records marked, claim due streams
    (sending their new pushes) and snoozes, then deliver the rest of the outbox."""
    now = now or utcnow()
    batch_size = batch_size or current_app.config["SCHEDULER_BATCH_SIZE"]
    report = TickReport()
    with _provider(provider) as provider:
        report.replans = _commit_batches(replan_marked, now, batch_size, report)
        report.streams = claim_and_send_streams(
            now, batch_size, provider, report, workers=claim_workers()
        )
        report.snoozes = _commit_batches(claim_due_snoozes, now, batch_size, report)
        report.deliveries.update(deliver_pending(now, provider=provider))
    log.info(
        "dispatch tick",
        extra={"replans": report.replans, "streams": report.streams, "snoozes": report.snoozes},
    )
    return report


def claim_workers() -> int:
    """How many workers claim due streams side by side: the configured number on PostgreSQL,
    one on SQLite, whose single writer lock would only make a second one wait."""
    return current_app.config["SCHEDULER_CLAIM_WORKERS"] if on_postgresql() else 1


def digest_job(now: datetime | None = None, *, provider: PushProvider | None = None) -> int:
    """Enqueue the daily flag digests that are due and deliver them; returns how many."""
    now = now or utcnow()
    with committed():
        enqueued = enqueue_flag_digests(now)
    deliver_pending(now, provider=provider)
    return enqueued


def cleanup_job(now: datetime | None = None) -> int:
    """Delete old final outbox rows; returns how many."""
    with committed():
        return purge_old_deliveries(now or utcnow())


def reconcile_streams_job(now: datetime | None = None, batch_size: int = RECONCILE_BATCH) -> int:
    """Safety net: create streams for patients with a programme but none yet."""
    now = now or utcnow()
    missing = list(
        db.session.scalars(
            sa.select(Patient.id)
            .where(
                sa.exists().where(Programme.patient_id == Patient.id),
                ~sa.exists().where(ReminderStream.patient_id == Patient.id),
                Patient.erased_at.is_(None),  # an erasure removed their streams for good
            )
            .limit(batch_size)
        )
    )
    with committed():
        refresh_streams(dict.fromkeys(missing, now))
    return len(missing)
