"""A big tick's due streams are claimed by two workers side by side on PostgreSQL (one on
SQLite): every occurrence is still recorded once and every push sent once."""

from __future__ import annotations

import threading

from server.extensions import db
from server.reminders import jobs
from server.reminders.dispatch import claim_due_streams
from server.reminders.jobs import claim_workers, dispatch_tick
from server.reminders.providers import WebhookProvider
from tests.reminders.conftest import (
    SECRET,
    RecordingProvider,
    deliveries,
    notifications_of,
    utc,
)

BEFORE = utc(2026, 6, 1, 6)  # Monday 06:00 UTC
DUE = utc(2026, 6, 1, 8, 0, 20)  # the morning sessions, 20 s late


def test_claim_workers_split_a_big_tick_and_record_and_send_each_reminder_once(
    app, reminder_patient, monkeypatch, backend
) -> None:
    patients = [reminder_patient(now=BEFORE) for _ in range(9)]
    claimed_in: list[tuple[str, int]] = []

    def claim(now, batch_size, lease_until=None):
        result = claim_due_streams(now, batch_size, lease_until)
        claimed_in.append((threading.current_thread().name, result.claimed))
        return result

    monkeypatch.setattr(jobs, "claim_due_streams", claim)
    provider = RecordingProvider()
    provider.batch_size = 2
    with app.app_context():
        assert claim_workers() == (2 if backend == "postgresql" else 1)
        report = dispatch_tick(DUE, batch_size=50, provider=provider)
        db.session.remove()
    assert report.streams == 9
    assert report.recorded == {"due": 9}
    assert report.deliveries == {"sent": 9}
    assert sum(claimed for _, claimed in claimed_in) == 9
    threads = {name for name, _ in claimed_in}
    assert threads == ({"MainThread", "side-1"} if backend == "postgresql" else {"MainThread"})
    for patient in patients:
        [record] = notifications_of(app, patient.id)
        assert record["status"] == "sent"
    rows = deliveries(app)
    assert len(rows) == 9
    assert {row["status"] for row in rows} == {"sent"}
    sent_for = sorted(str(m.payload["notification_id"]) for m in provider.sent)
    assert sent_for == sorted(str(row["notification_id"]) for row in rows)  # each once


def test_one_configured_worker_claims_alone(app, reminder_patient, monkeypatch) -> None:
    for _ in range(5):
        reminder_patient(now=BEFORE)
    names: set[str] = set()

    def claim(now, batch_size, lease_until=None):
        names.add(threading.current_thread().name)
        return claim_due_streams(now, batch_size, lease_until)

    monkeypatch.setattr(jobs, "claim_due_streams", claim)
    app.config["SCHEDULER_CLAIM_WORKERS"] = 1
    provider = RecordingProvider()
    provider.batch_size = 2
    with app.app_context():
        report = dispatch_tick(DUE, batch_size=50, provider=provider)
        db.session.remove()
    assert report.streams == 5
    assert report.deliveries == {"sent": 5}
    assert names == {"MainThread"}


def test_claim_workers_post_each_reminder_once_to_a_real_webhook(
    app, reminder_patient, receiver
) -> None:
    """The workers share one webhook provider (one HTTP session per thread) and a loopback
    receiver gets every push once, signed."""
    for _ in range(7):
        reminder_patient(now=BEFORE)
    provider = WebhookProvider(receiver.url, SECRET, timeout=5)
    provider.batch_size = 2  # four batches: the workers' part of the tick is not empty
    try:
        with app.app_context():
            report = dispatch_tick(DUE, batch_size=50, provider=provider)
            db.session.remove()
    finally:
        provider.close()
    assert report.deliveries == {"sent": 7}
    assert all(r["valid"] for r in receiver.received)
    received = sorted(r["delivery_id"] for r in receiver.received)
    assert received == sorted(str(row["id"]) for row in deliveries(app))
