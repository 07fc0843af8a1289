"""What the cluster test asserts, counted in PostgreSQL and at the push receiver."""

from __future__ import annotations

import http.client
import json
from collections import Counter
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cluster.day import TABLES, Traffic
from cluster.processes import PushReceiver
from cluster.seed import Clinic

ACTIVE_FLAG_SQL = (
    "SELECT patient_id::text, type, severity, episode_start FROM flags "
    "WHERE status IN ('open', 'acknowledged')"
)


def records(engine: sa.Engine, traffic: Traffic) -> dict[str, int]:
    """Every acknowledged record stored exactly once; an unacknowledged one at most once."""
    stored: Counter[str] = Counter()
    by_table: dict[str, list[str]] = {}
    for record_id, (kind, _) in traffic.records.items():
        by_table.setdefault(TABLES[kind], []).append(record_id)
    with engine.connect() as connection:
        for table, ids in by_table.items():
            query = f"SELECT id::text, count(*) FROM {table} WHERE id::text = ANY(:ids) GROUP BY id"  # noqa: S608 - our table names
            rows = connection.execute(sa.text(query), {"ids": ids})
            stored.update(dict(rows.all()))
    acked = [i for i, (_, ok) in traffic.records.items() if ok]
    unacked = [i for i, (_, ok) in traffic.records.items() if not ok]
    return {
        "records sent": len(traffic.records),
        "acknowledged": len(acked),
        "acknowledged stored once": sum(1 for i in acked if stored[i] == 1),
        "acknowledged lost": sum(1 for i in acked if stored[i] == 0),
        "stored more than once": sum(1 for n in stored.values() if n > 1),
        "unacknowledged": len(unacked),
        "unacknowledged that landed": sum(1 for i in unacked if stored[i] == 1),
    }


def reminders(engine: sa.Engine, clinic: Clinic, receiver: PushReceiver) -> dict[str, Any]:
    """Every scheduled occurrence recorded exactly once (none for a slot whose session was
    logged before it fell due: the schedule skips those); no push received twice; the outbox."""
    with engine.connect() as connection:
        recorded = Counter(
            (str(patient), slot)
            for patient, slot in connection.execute(
                sa.text("SELECT patient_id, slot FROM notifications WHERE kind = 'session'")
            )
        )
        logged = {
            (str(patient), slot)
            for patient, slot in connection.execute(
                sa.text("SELECT patient_id, slot FROM session_logs WHERE local_date = :today"),
                {"today": clinic.today},
            )
        }
        in_flight = connection.scalar(
            sa.text("SELECT count(*) FROM deliveries WHERE status = 'pending' AND attempts > 0")
        )
        statuses = dict(
            connection.execute(
                sa.text("SELECT status, count(*) FROM notifications GROUP BY 1")
            ).all()
        )
        deliveries = dict(
            connection.execute(
                sa.text("SELECT status, count(*) FROM deliveries WHERE channel = 'push' GROUP BY 1")
            ).all()
        )
        pushes_per_notification = connection.scalar(
            sa.text(
                "SELECT count(*) FROM (SELECT 1 FROM deliveries WHERE channel = 'push' "
                "GROUP BY notification_id HAVING count(*) > 1) AS twice"
            )
        )
    repeated_deliveries, repeated_occurrences = receiver.repeated()
    scheduled = [(p.id, slot) for p in clinic.patients for slot, _ in p.slots]
    return {
        "occurrences scheduled": len(scheduled),
        "occurrences recorded": sum(recorded.values()),
        "skipped: session logged before": sum(
            1 for s in scheduled if not recorded[s] and s in logged
        ),
        "occurrences not recorded": sum(
            1 for s in scheduled if not recorded[s] and s not in logged
        ),
        "occurrences recorded twice": sum(1 for n in recorded.values() if n > 1),
        "occurrence statuses": statuses,
        "outbox rows by status": deliveries,
        "outbox rows per occurrence > 1": pushes_per_notification,
        "outbox rows leased by the killed scheduler (resent after the lease)": in_flight,
        "pushes received": sum(1 for _, notification in receiver.deliveries if notification),
        "therapist alerts received": sum(1 for _, n in receiver.deliveries if not n),
        "pushes received twice (same delivery)": repeated_deliveries,
        "pushes received twice (same occurrence)": repeated_occurrences,
    }


def pending_work(engine: sa.Engine, now: datetime) -> int:
    """Due reminder streams, unsent fresh outbox rows and queued flag evaluations at ``now``."""
    with engine.connect() as connection:
        return connection.scalar(
            sa.text(
                "SELECT (SELECT count(*) FROM reminder_streams WHERE next_due_at <= :now)"
                " + (SELECT count(*) FROM deliveries WHERE status = 'pending' AND attempts = 0)"
                " + (SELECT count(*) FROM flag_evaluation_states WHERE next_sweep_at <= :now)"
            ),
            {"now": now},
        )


def active_flags(engine: sa.Engine) -> set[tuple[Any, ...]]:
    """The active flags as (patient, type, severity, episode start)."""
    with engine.connect() as connection:
        return {tuple(row) for row in connection.execute(sa.text(ACTIVE_FLAG_SQL))}


def replay_flags(now: datetime) -> set[tuple[Any, ...]]:
    """In the current app context (a copy of the cluster's database): forget every flag and
    every evaluation, judge every patient again in this one process as of ``now``, and return
    the active flags."""
    from server.extensions import db
    from server.flags.services import evaluate_due

    db.session.execute(sa.text("DELETE FROM flags"))
    db.session.execute(
        sa.text(
            "UPDATE flag_evaluation_states "
            "SET evaluated_at = NULL, pending_from = NULL, next_sweep_at = :now"
        ),
        {"now": now},
    )
    db.session.commit()
    while evaluate_due(now=now, batch_size=100):
        db.session.commit()
    db.session.commit()
    return active_flags(db.engine)


def login_attempts_until_limited(ports: list[int], email: str, tries: int = 20) -> int | None:
    """Wrong-password logins for ``email``, sent round the ``ports`` in turn, until one is
    answered 429; returns which attempt that was (None if none was)."""
    body = json.dumps({"email": email, "password": "not-the-password-0"})
    for attempt in range(1, tries + 1):
        connection = http.client.HTTPConnection(
            "127.0.0.1", ports[attempt % len(ports)], timeout=10
        )
        try:
            connection.request(
                "POST",
                "/api/v1/auth/login",
                body=body,
                headers={"Content-Type": "application/json"},
            )
            status = connection.getresponse().status
        finally:
            connection.close()
        if status == 429:
            return attempt
    return None
