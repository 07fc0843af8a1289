"""Real processes: two ``flask reminders tick`` processes on one database deliver every occurrence
exactly once, and ``flask scheduler run`` ticks on its own and stops cleanly on SIGTERM.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from datetime import time as wall
from pathlib import Path

import pytest
import sqlalchemy as sa

from bench.reminder_ticks import insert_patients
from server.extensions import db
from server.reminders.models import Delivery, Notification
from tests.reminders.conftest import SECRET, notifications_of, utc

ROOT = Path(__file__).resolve().parents[2]
PATIENTS = 200
SUMMARY = re.compile(r"streams claimed=(\d+) .*deliveries: (?:.*?sent=(\d+))?")


def _env(database_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "FLASK_APP": "wsgi.py",
        "HEP_ENV": "development",
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "WARNING",
        **extra,
    }


@pytest.mark.slow
def test_two_tick_processes_deliver_each_occurrence_exactly_once(
    app, database_url, make_staff, receiver
) -> None:
    therapist = make_staff()
    with app.app_context():
        insert_patients(
            PATIENTS,
            clinic_id=therapist.clinic_id,
            therapist_id=therapist.id,
            session_due=utc(2026, 6, 1, 8),
            posture_due=utc(2026, 6, 1, 8),
            posture_interval=60,
            work_start=wall(7, 0),
        )
        db.session.commit()
    receiver.delay = 0.01  # a receiver that takes a moment keeps both processes busy at once
    env = _env(
        database_url,
        PUSH_PROVIDER="webhook",
        WEBHOOK_URL=receiver.url,
        WEBHOOK_SECRET=SECRET,
        SCHEDULER_BATCH_SIZE="20",
    )
    command = [sys.executable, "-m", "flask", "reminders", "tick", "--at", "2026-06-01T08:00:30Z"]
    processes = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120)[0] for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    counts = [SUMMARY.search(output) for output in outputs]
    claimed = [int(m.group(1)) for m in counts]
    sent = [int(m.group(2) or 0) for m in counts]

    expected = 2 * PATIENTS  # a session and a posture break each
    assert sum(claimed) == expected, outputs  # every stream claimed by exactly one process
    assert sum(sent) == expected, outputs
    assert all(c + s > 0 for c, s in zip(claimed, sent, strict=True)), outputs  # both worked
    with app.app_context():
        statuses = db.session.execute(
            sa.select(Notification.status, sa.func.count()).group_by(Notification.status)
        ).all()
        assert dict(statuses) == {"sent": expected}
        rows = db.session.execute(sa.select(Delivery.status, Delivery.attempts)).all()
        assert len(rows) == expected
        assert set(rows) == {("sent", 1)}
        db.session.remove()
    assert len(receiver.received) == expected
    assert len({r["delivery_id"] for r in receiver.received}) == expected
    notification_ids = {r["json"]["data"]["notification_id"] for r in receiver.received}
    assert len(notification_ids) == expected
    assert all(r["valid"] for r in receiver.received)


@pytest.mark.slow
def test_scheduler_process_ticks_and_stops_on_sigterm(app, database_url, reminder_patient):
    """``flask scheduler run`` against the real clock: a reminder due a minute ago goes out."""
    now = datetime.now(UTC)
    slot = (now - timedelta(minutes=1)).replace(second=0, microsecond=0)
    patient = reminder_patient(
        now=now - timedelta(minutes=2),
        slots=[("now", f"{slot:%H:%M}")],
        start_date=(now - timedelta(days=2)).date(),
        quiet_start=wall(0, 0),
        quiet_end=wall(0, 0),
    )
    env = _env(database_url, SCHEDULER_TICK_SECONDS="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "scheduler", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        records = []
        while time.monotonic() < deadline:
            records = notifications_of(app, patient.id)
            if records and records[0]["status"] == "sent":
                break
            time.sleep(0.3)
        assert [(r["at"], r["status"]) for r in records] == [(slot, "sent")]
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "scheduled job failed" not in stderr
