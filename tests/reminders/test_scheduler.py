"""The scheduler's declared jobs and the operator CLI (``--at`` an instant), on both databases."""

from __future__ import annotations

import logging
import signal
from datetime import datetime

from apscheduler.schedulers.background import BackgroundScheduler
from flask import current_app

from server.scheduler import add_declared_jobs, declared_jobs, resolve, run_job, stop_on_signal
from tests.reminders.conftest import deliveries, notifications_of, utc
from tests.reminders.test_dispatch import BEFORE

JOB_IDS = {
    "reminders.dispatch_tick",
    "flags.evaluate_pending",
    "flags.sweep",
    "reminders.flag_digest",
    "reminders.reconcile_streams",
    "reminders.cleanup",
    "audit.spread_pages",
}
probed: list[tuple[str, datetime]] = []


def probe(*, now: datetime) -> None:
    probed.append((current_app.name, now))


def explode(*, now: datetime) -> None:
    raise RuntimeError("boom")


def test_jobs_are_declared_as_data_with_explicit_ids() -> None:
    jobs = declared_jobs({"SCHEDULER_TICK_SECONDS": 7})
    assert {job.id for job in jobs} == JOB_IDS
    assert next(j for j in jobs if j.id == "reminders.dispatch_tick").seconds == 7
    assert all(callable(resolve(job.target)) for job in jobs)


def test_declared_jobs_replace_existing_ones(app) -> None:
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.start(paused=True)
    try:
        add_declared_jobs(scheduler, app)
        add_declared_jobs(scheduler, app)  # a second registration replaces, never duplicates
        jobs = scheduler.get_jobs()
        assert sorted(job.id for job in jobs) == sorted(JOB_IDS)
        assert all(job.max_instances == 1 and job.coalesce for job in jobs)
    finally:
        scheduler.shutdown(wait=False)


def test_a_job_runs_in_an_app_context_and_a_failure_is_logged(app, caplog) -> None:
    probed.clear()
    run_job(app, "probe", "tests.reminders.test_scheduler:probe")
    assert [name for name, _ in probed] == [app.name]
    with caplog.at_level(logging.ERROR, logger="server.scheduler"):
        run_job(app, "explode", "tests.reminders.test_scheduler:explode")
    assert any(r.getMessage() == "scheduled job failed" for r in caplog.records)


def test_cli_due_lists_without_sending(app, reminder_patient) -> None:
    patient = reminder_patient(now=BEFORE, posture_interval=30)
    result = app.test_cli_runner().invoke(
        args=["reminders", "due", "--at", "2026-06-01T09:31:00+00:00"]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[-1] == "2 occurrence(s) due"
    assert "session       missed" in lines[0]  # 08:00: past its 30 minutes of grace
    assert "slot=morning" in lines[0]
    assert "posture_break due" in lines[1]  # 09:00 + 30 min, one minute ago
    assert str(patient.id) in lines[0]
    assert notifications_of(app, patient.id) == []


def test_cli_tick_then_restart_past_grace(app, reminder_patient) -> None:
    """Tick, stop, advance past every grace period, tick again: only missed records, no sends."""
    patient = reminder_patient(now=BEFORE)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["reminders", "tick", "--at", "2026-06-01T08:00:05Z"])
    assert first.exit_code == 0, first.output
    assert "occurrences: due=1" in first.output
    assert "deliveries: sent=1" in first.output
    # Down from 08:00:05 until 20:00 the next day.
    second = runner.invoke(args=["reminders", "tick", "--at", "2026-06-02T20:00:00Z"])
    assert second.exit_code == 0, second.output
    assert "deliveries: none" in second.output
    records = notifications_of(app, patient.id)
    # The last 24 hours are walked and recorded missed; 1 June 19:00 is older and skipped.
    assert [(r["at"], r["status"]) for r in records] == [
        (utc(2026, 6, 1, 8), "sent"),
        (utc(2026, 6, 2, 8), "missed"),
        (utc(2026, 6, 2, 19), "missed"),
    ]
    assert len(deliveries(app)) == 1


def test_cli_rejects_an_instant_without_offset(app) -> None:
    result = app.test_cli_runner().invoke(args=["reminders", "tick", "--at", "2026-06-01T08:00"])
    assert result.exit_code == 2
    assert "offset" in result.output


def test_cli_digest_and_cleanup(app) -> None:
    runner = app.test_cli_runner()
    digest = runner.invoke(args=["reminders", "digest", "--at", "2026-06-01T09:00:00+03:00"])
    assert digest.exit_code == 0, digest.output
    assert digest.output.strip() == "digests enqueued: 0"
    cleanup = runner.invoke(args=["reminders", "cleanup"])
    assert cleanup.output.strip() == "deliveries deleted: 0"


def test_a_second_stop_signal_during_shutdown_is_a_no_op() -> None:
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.start(paused=True)
    stop = stop_on_signal(scheduler)

    stop(signal.SIGTERM, None)
    stop(signal.SIGTERM, None)  # e.g. the supervisor and the terminal both sent one

    assert not scheduler.running
