"""Issue 25, the clinical service levels: while no scheduler runs, the waits behind both
objectives grow in ``/metrics`` past their limits (flag evaluation lag 30 s, reminder dispatch
lag 60 s); once the jobs run again they fall to zero and the late work lands in the histograms'
buckets above the objectives."""

from __future__ import annotations

import time
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from server.clock import utcnow
from server.extensions import db
from server.flags.jobs import run_pending_evaluations
from server.flags.queue import mark_due
from server.reminders.jobs import dispatch_tick
from server.reminders.replans import mark_replan


def scrape(client: FlaskClient) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def gauge(values: dict, name: str) -> float:
    return values[(name, ())]


def bucket(values: dict, name: str, le: str) -> float:
    return values[(f"{name}_bucket", (("le", le),))]


def test_the_flag_evaluation_wait_grows_while_no_scheduler_runs(
    app: Flask, client: FlaskClient, reminder_patient
) -> None:
    patient = reminder_patient(now=utcnow() - timedelta(days=1))
    arrived = utcnow() - timedelta(seconds=45)  # data arrived 45 s ago; nothing evaluated it
    with app.app_context():
        mark_due(
            patient_id=patient.id, clinic_id=patient.clinic_id, days=[arrived.date()], now=arrived
        )
        db.session.commit()
    name = "hep_flag_evaluation_oldest_pending_seconds"
    first = scrape(client)
    assert first[("hep_slo_objective_seconds", (("objective", "flag_evaluation_lag_p99"),))] == 30
    assert gauge(first, name) >= 45 > 30
    assert gauge(first, "hep_flag_evaluations_pending") == 1
    time.sleep(1.1)
    assert gauge(scrape(client), name) >= gauge(first, name) + 1  # still growing

    histogram = "hep_flag_evaluation_lag_seconds"
    with app.app_context():
        assert run_pending_evaluations(now=utcnow()) == 1  # the scheduler is back
        db.session.remove()
    after = scrape(client)
    assert gauge(after, name) == 0
    assert gauge(after, "hep_flag_evaluations_pending") == 0
    assert bucket(after, histogram, "+Inf") - bucket(first, histogram, "+Inf") == 1
    assert bucket(after, histogram, "30.0") == bucket(first, histogram, "30.0")  # above 30 s


def test_the_reminder_dispatch_wait_grows_while_no_scheduler_runs(
    app: Flask, client: FlaskClient, reminder_patient, provider
) -> None:
    due = (utcnow() - timedelta(seconds=90)).replace(second=0, microsecond=0)  # 90-149 s ago
    quiet = (due + timedelta(hours=6)).time().replace(minute=0)
    reminder_patient(
        now=due - timedelta(hours=1),
        slots=[("morning", due.strftime("%H:%M"))],
        quiet_start=quiet,
        quiet_end=(due + timedelta(hours=7)).time().replace(minute=0),
    )
    name = "hep_reminder_oldest_overdue_seconds"
    first = scrape(client)
    assert first[("hep_slo_objective_seconds", (("objective", "reminder_dispatch_lag_p99"),))] == 60
    assert gauge(first, name) >= 90 > 60
    time.sleep(1.1)
    assert gauge(scrape(client), name) >= gauge(first, name) + 1

    histogram = "hep_reminder_dispatch_lag_seconds"
    with app.app_context():
        dispatch_tick(utcnow(), provider=provider)  # the scheduler is back
        db.session.remove()
    assert len(provider.sent) == 1
    after = scrape(client)
    assert gauge(after, name) == 0
    assert gauge(after, "hep_outbox_backlog") == 0
    assert bucket(after, histogram, "+Inf") - bucket(first, histogram, "+Inf") == 1
    assert bucket(after, histogram, "60.0") == bucket(first, histogram, "60.0")  # above 60 s


def test_replans_waiting_for_a_tick_show_until_it_runs(
    app: Flask, client: FlaskClient, reminder_patient, provider
) -> None:
    patient = reminder_patient(now=utcnow() - timedelta(days=1))
    logged = utcnow() - timedelta(seconds=40)  # a session logged 40 s ago marked a replan
    with app.app_context():
        mark_replan(patient.id, patient.clinic_id, logged)
        db.session.commit()
    first = scrape(client)
    assert gauge(first, "hep_reminder_replans_pending") == 1
    assert gauge(first, "hep_reminder_replan_oldest_age_seconds") >= 40
    with app.app_context():
        assert dispatch_tick(utcnow(), provider=provider).replans == 1
        db.session.remove()
    after = scrape(client)
    assert gauge(after, "hep_reminder_replans_pending") == 0
    assert gauge(after, "hep_reminder_replan_oldest_age_seconds") == 0
