"""Issue 25, the scheduler's metrics: running the jobs observes dispatch lag (due → sent) and flag
evaluation lag (arrival → evaluation), counts reminders and sends by outcome, and the
scheduler's own endpoint serves them."""

from __future__ import annotations

from datetime import timedelta

import requests
from flask import Flask
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from server.clock import utcnow
from server.extensions import db
from server.flags.jobs import run_pending_evaluations
from server.flags.queue import mark_due
from server.metrics import scheduler_registry, start_scheduler_metrics
from server.reminders.jobs import dispatch_tick
from server.reminders.providers import DeliveryResult
from tests.reminders.conftest import RecordingProvider, utc

DISPATCH = "hep_reminder_dispatch_lag_seconds"
FLAGS = "hep_flag_evaluation_lag_seconds"


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def snapshot() -> dict[str, float]:
    return {
        "dispatch_count": sample(f"{DISPATCH}_count"),
        "dispatch_sum": sample(f"{DISPATCH}_sum"),
        "dispatch_le_30": sample(f"{DISPATCH}_bucket", le="30.0"),
        "dispatch_le_15": sample(f"{DISPATCH}_bucket", le="15.0"),
        "flags_count": sample(f"{FLAGS}_count"),
        "flags_sum": sample(f"{FLAGS}_sum"),
        "flags_le_15": sample(f"{FLAGS}_bucket", le="15.0"),
        "flags_le_10": sample(f"{FLAGS}_bucket", le="10.0"),
        "due": sample("hep_reminder_occurrences_total", status="due"),
        "missed": sample("hep_reminder_occurrences_total", status="missed"),
        "sent": sample("hep_outbox_deliveries_total", channel="push", outcome="sent"),
        "dead": sample("hep_outbox_deliveries_total", channel="push", outcome="dead"),
    }


def changes(before: dict[str, float]) -> dict[str, float]:
    after = snapshot()
    return {key: round(after[key] - before[key], 3) for key in before}


def test_a_dispatch_tick_observes_due_to_sent_lag(app: Flask, reminder_patient, provider) -> None:
    reminder_patient(now=utc(2026, 6, 1, 6))  # a session reminder due at 08:00 UTC
    before = snapshot()
    with app.app_context():
        dispatch_tick(utc(2026, 6, 1, 8, 0, 20), provider=provider)  # 20 s late
        db.session.remove()
    moved = changes(before)
    assert len(provider.sent) == 1
    assert moved["dispatch_count"] == 1
    assert 20 <= moved["dispatch_sum"] < 30  # 20 s, plus the tick's own time
    assert (moved["dispatch_le_15"], moved["dispatch_le_30"]) == (0, 1)
    assert (moved["due"], moved["sent"], moved["dead"]) == (1, 1, 0)


def test_a_failed_send_is_dead_lettered_and_observes_no_lag(app: Flask, reminder_patient) -> None:
    reminder_patient(now=utc(2026, 6, 1, 6))
    refusing = RecordingProvider([DeliveryResult(ok=False, retryable=False, error="invalid")])
    before = snapshot()
    with app.app_context():
        dispatch_tick(utc(2026, 6, 1, 8, 0, 5), provider=refusing)
        db.session.remove()
    moved = changes(before)
    assert (moved["due"], moved["sent"], moved["dead"]) == (1, 0, 1)
    assert moved["dispatch_count"] == 0


def test_an_outage_counts_missed_reminders(app: Flask, reminder_patient, provider) -> None:
    reminder_patient(now=utc(2026, 6, 1, 6))
    before = snapshot()
    with app.app_context():
        dispatch_tick(utc(2026, 6, 1, 11, 10), provider=provider)  # hours late: past grace
        db.session.remove()
    moved = changes(before)
    assert moved["missed"] == 1
    assert moved["dispatch_count"] == 0


def test_a_flag_evaluation_observes_arrival_to_evaluation_lag(app: Flask, reminder_patient) -> None:
    patient = reminder_patient(now=utc(2026, 6, 1, 6))
    # Ahead of the clock, so the lag is exactly the 12 s between arrival and the job's instant.
    arrival = utcnow() + timedelta(days=1)
    with app.app_context():
        mark_due(
            patient_id=patient.id,
            clinic_id=patient.clinic_id,
            days=[arrival.date()],
            now=arrival,
        )
        db.session.commit()
        before = snapshot()
        assert run_pending_evaluations(now=arrival + timedelta(seconds=12)) == 1
        db.session.remove()
    moved = changes(before)
    assert moved["flags_count"] == 1
    assert moved["flags_sum"] == 12
    assert (moved["flags_le_10"], moved["flags_le_15"]) == (0, 1)


def test_the_scheduler_serves_its_metrics_on_its_own_port(app: Flask) -> None:
    assert start_scheduler_metrics(app) is None  # SCHEDULER_METRICS_PORT 0: off
    from prometheus_client import start_http_server

    server, thread = start_http_server(0, addr="127.0.0.1", registry=scheduler_registry(app))
    try:
        port = server.server_address[1]
        text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    names = {family.name for family in text_string_to_metric_families(text)}
    assert {DISPATCH, FLAGS, "hep_reminder_occurrences", "hep_outbox_deliveries"} <= names
    assert {"hep_outbox_backlog", "hep_flag_evaluation_oldest_pending_seconds"} <= names
