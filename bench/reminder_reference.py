"""The reminder tick's reference and phases, for ``bench/reminder_ticks.py``.

The reference claims, inserts and marks the same due occurrences as the real tick, with bare
Core statements in one transaction: one ``SELECT … FOR UPDATE [SKIP LOCKED]`` of the due
streams, one executemany ``INSERT`` of their notifications (fixed text, no rules, no outbox) and
one executemany ``UPDATE`` moving each stream on; then it rolls back, so the real tick finds the
same streams due. The real tick's phases are timed by wrapping the functions it calls.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa


def reference_tick(now: datetime) -> tuple[float, int]:
    """(milliseconds, occurrences) of the bare claim-insert-mark transaction, rolled back."""
    from server.extensions import db
    from server.reminders.models import Notification, ReminderStream

    streams, notifications = ReminderStream.__table__, Notification.__table__
    skip_locked = db.session.get_bind().dialect.name == "postgresql"
    db.session.commit()
    started = time.perf_counter()
    claimed = db.session.execute(
        sa.select(
            streams.c.id,
            streams.c.clinic_id,
            streams.c.patient_id,
            streams.c.kind,
            streams.c.next_due_at,
        )
        .where(streams.c.next_due_at <= now)
        .order_by(streams.c.next_due_at)
        .with_for_update(skip_locked=skip_locked)
    ).all()
    db.session.execute(
        notifications.insert(),
        [
            {
                "id": uuid.uuid4(),
                "clinic_id": row.clinic_id,
                "patient_id": row.patient_id,
                "kind": row.kind,
                "occurrence_at": row.next_due_at,
                "status": "due",
                "local_date": row.next_due_at.date(),
                "slot": "morning",
                "language": "en",
                "title": "Time for your exercises",
                "message": "Your morning session is due.",
                "snooze_count": 0,
                "created_at": now,
            }
            for row in claimed
        ],
    )
    db.session.execute(
        sa.update(streams)
        .where(streams.c.id == sa.bindparam("stream_id"))
        .values(
            next_due_at=sa.bindparam("next_due"),
            last_occurrence_at=sa.bindparam("last"),
            updated_at=sa.bindparam("updated"),
        ),
        [
            {
                "stream_id": row.id,
                "next_due": row.next_due_at + timedelta(hours=11),
                "last": row.next_due_at,
                "updated": now,
            }
            for row in claimed
        ],
    )
    db.session.flush()
    elapsed = (time.perf_counter() - started) * 1000
    db.session.rollback()
    return elapsed, len(claimed)


@contextmanager
def phase_timers() -> Iterator[dict[str, float]]:
    """Milliseconds spent in each phase of the real tick while the block runs, summed over its
    claim workers: ``contexts`` (the patients' rule contexts), ``plan`` (the rules), ``write``
    (the streams moved on, the notification rows and their outbox rows: one statement on
    PostgreSQL), ``send`` (each batch's pushes sent and marked) and ``batches`` (all of a
    batch: the caller counts what the others leave as the claim and commits)."""
    from server.reminders import dispatch, jobs

    phases: dict[str, float] = defaultdict(float)
    originals: dict[tuple[Any, str], Any] = {}
    lock = threading.Lock()  # the claim workers add up their phases at once

    def wrap(module: Any, name: str, phase: Callable[[tuple[Any, ...]], str]) -> None:
        original = getattr(module, name)
        originals[(module, name)] = original

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                with lock:
                    phases[phase(args)] += (time.perf_counter() - started) * 1000

        setattr(module, name, timed)

    wrap(dispatch, "load_reminder_infos", lambda _: "contexts")
    wrap(dispatch, "plan_stream", lambda _: "plan")
    wrap(dispatch, "write_batch", lambda _: "write")
    wrap(jobs, "_send_claimed", lambda _: "send")
    wrap(jobs, "_commit_batch", lambda _: "batches")
    try:
        yield phases
    finally:
        for (module, name), original in originals.items():
            setattr(module, name, original)


def rearm(due_ids: list[uuid.UUID], due_at: datetime, chunk: int = 5000) -> None:
    """Undo a tick: no notifications or deliveries, the same streams due again."""
    from server.extensions import db
    from server.reminders.models import Delivery, Notification, ReminderStream

    db.session.execute(sa.delete(Delivery))
    db.session.execute(sa.delete(Notification))
    for start in range(0, len(due_ids), chunk):
        db.session.execute(
            sa.update(ReminderStream)
            .where(ReminderStream.id.in_(due_ids[start : start + chunk]))
            .values(next_due_at=due_at, last_occurrence_at=None)
        )
    db.session.commit()
