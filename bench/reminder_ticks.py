"""Reminder dispatch ticks at scale: ``python -m bench.reminder_ticks`` (or ``python bench/…``).

On SQLite and on PostgreSQL (a dedicated ``hep_bench_reminders`` database, created and dropped
here): 10k then 100k patients with two reminder streams each (bulk insert), an idle tick (nothing
due) at both sizes, the claim query's plan, and a tick with 10k due reminders (recorded, then
delivered through the ``log`` provider), in three rounds, each beside its reference (see
``bench/reminder_reference.py``) and with its phases. The idle tick must not grow with the
number of patients: it is one index range scan on ``reminder_streams.next_due_at`` that
finds nothing.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script by the bench harness
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from bench.reminder_reference import phase_timers, rearm, reference_tick  # noqa: E402

POSTGRES_ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
POSTGRES_DB = "hep_bench_reminders"
SECRET = "bench-only-secret-key-0123456789abcdef-0123456789"
# Monday 1 June 2026, 08:00 UTC: the morning slot of every bench patient.
SLOT_AT = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
LATER = SLOT_AT + timedelta(hours=11)  # the evening slot: what idle streams wait for
CHUNK = 5000


def insert_patients(
    n: int,
    *,
    clinic_id: uuid.UUID,
    therapist_id: uuid.UUID,
    session_due: datetime | None,
    posture_due: datetime | None,
    morning: str = "08:00",
    posture_interval: int | None = None,
    work_start: wall = wall(9, 0),
) -> list[uuid.UUID]:
    """Bulk-insert ``n`` patients (UTC, English) with a programme and both reminder streams.

    Streams are set directly (``session_due``/``posture_due``), as a refresh would have left them.
    Runs in the current app context's session; the caller commits.
    """
    from server.accounts.models import Patient, User
    from server.programmes.models import Programme, ProgrammeRevision
    from server.reminders.models import ReminderStream

    schedule = {
        "days": [1, 2, 3, 4, 5, 6, 7],
        "slots": [{"slot": "morning", "time": morning}, {"slot": "evening", "time": "19:00"}],
    }
    posture = {"enabled": posture_interval is not None, "interval_minutes": posture_interval or 40}
    created = datetime(2026, 1, 1, tzinfo=UTC)
    ids = [uuid.uuid4() for _ in range(n)]
    for start in range(0, n, CHUNK):
        users, patients, programmes, revisions, streams = [], [], [], [], []
        for pid in ids[start : start + CHUNK]:
            programme_id = uuid.uuid4()
            users.append(
                {
                    "id": pid,
                    "clinic_id": clinic_id,
                    "email": f"p-{pid.hex}@bench.example",
                    "name": "Bench patient",
                    "role": "patient",
                    "language": "en",
                    "is_active": True,
                    "created_at": created,
                }
            )
            patients.append(
                {
                    "id": pid,
                    "clinic_id": clinic_id,
                    "therapist_id": therapist_id,
                    "timezone": "UTC",
                    "reminders_enabled": True,
                    "quiet_start": wall(22, 0),
                    "quiet_end": wall(7, 0),
                    "work_start": work_start,
                    "work_end": wall(18, 0),
                    "work_days": [1, 2, 3, 4, 5, 6, 7],
                    "created_at": created,
                }
            )
            programmes.append(
                {
                    "id": programme_id,
                    "clinic_id": clinic_id,
                    "patient_id": pid,
                    "start_date": date(2026, 1, 1),
                    "current_revision": 1,
                    "created_by": therapist_id,
                    "created_at": created,
                }
            )
            revisions.append(
                {
                    "id": uuid.uuid4(),
                    "programme_id": programme_id,
                    "clinic_id": clinic_id,
                    "patient_id": pid,
                    "number": 1,
                    "kind": "initial",
                    "items": [],
                    "schedule": schedule,
                    "posture_breaks": posture,
                    "flag_thresholds": {},
                    "author_id": therapist_id,
                    "reason": "bench",
                    "effective_at": created,
                    "created_at": created,
                }
            )
            streams += [
                {
                    "id": uuid.uuid4(),
                    "clinic_id": clinic_id,
                    "patient_id": pid,
                    "kind": kind,
                    "next_due_at": due,
                    "updated_at": created,
                }
                for kind, due in (("session", session_due), ("posture_break", posture_due))
            ]
        for model, rows in (
            (User, users),
            (Patient, patients),
            (Programme, programmes),
            (ProgrammeRevision, revisions),
            (ReminderStream, streams),
        ):
            _bulk_insert(model, rows)
    return ids


def _bulk_insert(model: Any, rows: list[dict[str, Any]]) -> None:
    """COPY on PostgreSQL (an order of magnitude faster), executemany elsewhere."""
    from psycopg.types.json import Jsonb

    from server.extensions import db

    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        db.session.execute(sa.insert(model), rows)
        return
    columns = list(rows[0])
    driver = connection.connection.driver_connection
    with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY {model.__tablename__} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row([Jsonb(v) if isinstance(v, dict | list) else v for v in row.values()])


def _sqlite_bulk_pragmas(engine: Any) -> None:
    """Bench-only: a large page cache so 100k random-UUID inserts stay in memory."""

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA cache_size=-262144")  # 256 MiB
        cursor.close()


def _clinic_and_therapist() -> tuple[uuid.UUID, uuid.UUID]:
    from server.accounts.models import Clinic, User
    from server.extensions import db

    clinic = Clinic(name="Bench clinic", timezone="UTC")
    db.session.add(clinic)
    db.session.flush()
    therapist = User(
        clinic_id=clinic.id,
        email="therapist@bench.example",
        name="Bench therapist",
        role="therapist",
        language="en",
    )
    db.session.add(therapist)
    db.session.commit()
    return clinic.id, therapist.id


def _timed(function: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    """Median wall time in milliseconds over ``repeat`` runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def _idle(function: Callable[[], Any], repeat: int = 25) -> tuple[float, float]:
    """(min, median) wall milliseconds of ``repeat`` idle ticks: min resists a busy machine."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        report = function()
        times.append((time.perf_counter() - started) * 1000)
        assert report.streams == 0, report.summary()
    return min(times), statistics.median(times)


def _claim_plan() -> str:
    """The database's plan for the claim query (the one the tick runs), executed on PostgreSQL."""
    from server.db import UTCDateTime
    from server.extensions import db

    postgres = db.engine.dialect.name == "postgresql"
    query = (
        "SELECT * FROM reminder_streams WHERE next_due_at <= :now "
        "ORDER BY next_due_at LIMIT 500" + (" FOR UPDATE SKIP LOCKED" if postgres else "")
    )
    now = sa.bindparam("now", SLOT_AT, type_=UTCDateTime())
    if postgres:
        explain = sa.text(f"EXPLAIN (ANALYZE, BUFFERS) {query}").bindparams(now)
        plan = [
            line.strip().removeprefix("->").strip()
            for line in db.session.execute(explain).scalars()
        ]
        db.session.rollback()
        scan = next(line.split("  (")[0] for line in plan if "Scan" in line)
        buffers = next(line for line in plan if line.startswith("Buffers"))
        executed = next(line for line in plan if line.startswith("Execution Time"))
        return f"{scan}; {buffers}; {executed}"
    plan = db.session.execute(sa.text(f"EXPLAIN QUERY PLAN {query}").bindparams(now)).all()
    return "; ".join(str(row[-1]) for row in plan)


def _vacuum() -> None:
    """VACUUM ANALYZE after a bulk load, so autovacuum does not run during the measurements."""
    from server.extensions import db

    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE")


def _count(model: Any, *where: Any) -> int:
    from server.extensions import db

    stmt = sa.select(sa.func.count()).select_from(model)
    return db.session.scalar(stmt.where(*where) if where else stmt) or 0


def run_backend(
    backend: str, url: str, sizes: tuple[int, int], due: int, rounds: int = 3
) -> list[str]:
    """Every measurement on one database; returns the report lines."""
    from server import create_app
    from server.extensions import db
    from server.reminders.jobs import (
        TickReport,
        claim_and_send_streams,
        claim_workers,
        deliver_pending,
    )
    from server.reminders.models import Delivery, Notification, ReminderStream
    from server.reminders.providers import LogProvider

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET, "LOG_LEVEL": "WARNING"})
    lines = []
    with app.app_context():
        if backend == "sqlite":
            _sqlite_bulk_pragmas(db.engine)
        db.create_all()
        clinic_id, therapist_id = _clinic_and_therapist()
        batch = app.config["SCHEDULER_BATCH_SIZE"]
        provider = LogProvider()
        loaded = 0
        for size in sizes:
            started, cpu = time.perf_counter(), time.process_time()
            insert_patients(
                size - loaded,
                clinic_id=clinic_id,
                therapist_id=therapist_id,
                session_due=LATER,
                posture_due=LATER,
            )
            db.session.commit()
            if backend == "postgresql":
                _vacuum()
            insert_s, insert_cpu = time.perf_counter() - started, time.process_time() - cpu
            loaded = size
            best, median = _idle(lambda: _tick(provider, batch))
            lines.append(
                f"{backend:<10} {size:>7} patients, {2 * size} streams: idle tick "
                f"{best:5.2f} ms min, {median:5.2f} ms median of 25 "
                f"(bulk insert {insert_s:5.1f} s, {insert_cpu:4.1f} s CPU here)"
            )
            lines.append(f"{backend:<10} {size:>7} claim query plan: {_claim_plan()}")
        due_ids = db.session.scalars(
            sa.select(ReminderStream.id)
            .where(ReminderStream.kind == "session")
            .order_by(ReminderStream.id)
            .limit(due)
        ).all()
        for start in range(0, len(due_ids), CHUNK):
            db.session.execute(
                sa.update(ReminderStream)
                .where(ReminderStream.id.in_(due_ids[start : start + CHUNK]))
                .values(next_due_at=SLOT_AT)
            )
        db.session.commit()
        now = SLOT_AT + timedelta(seconds=20)
        workers = claim_workers()
        for round_number in range(1, rounds + 1):
            if round_number > 1:
                rearm(due_ids, SLOT_AT)
                if backend == "postgresql":
                    _vacuum()
            reference_ms, referenced = reference_tick(now)
            assert referenced == due, referenced
            report = TickReport()
            cpu = time.process_time()
            with phase_timers() as phases:
                claim_ms, claimed = _timed(
                    lambda r=report: claim_and_send_streams(now, batch, provider, r, workers)
                )
                deliver_ms, statuses = _timed(lambda: deliver_pending(now, provider=provider))
            tick_cpu = time.process_time() - cpu
            assert claimed == due, claimed
            assert report.recorded["due"] == due, report.recorded
            assert report.deliveries["sent"] == due, report.deliveries
            assert not statuses, statuses  # every push went out with its batch
            assert _count(Notification, Notification.status == "sent") == due
            assert _count(Delivery, Delivery.status == "sent") == due
            total = claim_ms + deliver_ms
            batches = phases.pop("batches")
            phases["claim, commit"] = batches - sum(phases.values())
            shown = ", ".join(f"{name} {ms / 1000:.2f}" for name, ms in phases.items())
            worked = "phases in s"
            if workers > 1:
                worked += f" over {workers} claim workers ({batches / 1000:.2f} s in all)"
            lines.append(
                f"{backend:<10} round {round_number}: tick with {due} due of {sizes[-1]} "
                f"patients {total / 1000:5.2f} s = {due / (total / 1000):,.0f} reminders/s "
                f"({tick_cpu:4.1f} s CPU here; {worked}: {shown}; outbox "
                f"{deliver_ms / 1000:.2f}); reference (claim, insert, mark in one transaction, "
                f"bare Core) {reference_ms / 1000:5.2f} s = {due / (reference_ms / 1000):,.0f}/s; "
                f"tick = {reference_ms / total:.0%} of it"
            )
        idle = lambda: _tick(provider, batch)  # noqa: E731
        best, median = _idle(idle)
        lines.append(
            f"{backend:<10} idle tick right after it: {best:5.2f} ms min, {median:5.2f} ms median"
        )
        if backend == "postgresql":
            _vacuum()
            best, median = _idle(idle)
            lines.append(
                f"{backend:<10} idle tick after VACUUM: {best:5.2f} ms min, {median:5.2f} ms median"
            )
        db.session.remove()
        db.engine.dispose()
    return lines


def _tick(provider: Any, batch: int) -> Any:
    """The streams and outbox part of a dispatch tick (no replans, no snoozes)."""
    from server.reminders.jobs import (
        TickReport,
        claim_and_send_streams,
        claim_workers,
        deliver_pending,
    )

    report = TickReport()
    now = SLOT_AT + timedelta(seconds=20)
    report.streams = claim_and_send_streams(now, batch, provider, report, claim_workers())
    report.deliveries.update(deliver_pending(now, provider=provider))
    return report


def _recreate_postgres() -> str:
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{POSTGRES_DB}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{POSTGRES_DB}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{POSTGRES_DB}"


def _drop_postgres() -> None:
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{POSTGRES_DB}" WITH (FORCE)')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3, help="reference and tick, interleaved")
    args = parser.parse_args(argv)
    logging.disable(logging.INFO)  # the log provider would print 10k lines
    started = time.perf_counter()
    lines = []
    for backend in args.backends.split(","):
        if backend == "sqlite":
            with tempfile.TemporaryDirectory(prefix="hep-reminder-bench-") as tmp:
                url = f"sqlite:///{Path(tmp) / 'bench.db'}"
                lines += run_backend(backend, url, (args.small, args.large), args.due, args.rounds)
        else:
            try:
                url = _recreate_postgres()
            except psycopg.OperationalError as error:
                lines.append(f"postgresql skipped: not reachable ({type(error).__name__})")
                continue
            try:
                lines += run_backend(backend, url, (args.small, args.large), args.due, args.rounds)
            finally:
                _drop_postgres()
        print("\n".join(lines[-5:]), flush=True)
    elapsed = time.perf_counter() - started
    print("\nreminder ticks (python -m bench.reminder_ticks)\n" + "\n".join(lines))
    print(f"total {elapsed:.0f} s on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
