"""Flag evaluation cost per ingested record as a patient's history grows: ``python -m
bench.flag_evaluation`` (or ``python bench/flag_evaluation.py``).

On SQLite and on PostgreSQL (a dedicated ``hep_bench_flags`` database, created and dropped here):
one patient with 30 days of history and one with 3 years (pain ratings, sessions, headaches,
posture breaks every day, and a flag history), then for each: 150 live records (a pain rating
for today, stored and evaluated on ingest, committed one by one as a request would), and 30 late
records (a day 30 days back, which re-derives a 34-day window). Printed: milliseconds per record
(mean, p50, p95) and SQL statements per evaluation. Flat means the 3-year figures match the
30-day ones: every query is bounded by a date window, never by the length of the history.
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
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script by the bench harness
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import sqlalchemy as sa  # noqa: E402

POSTGRES_ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
POSTGRES_DB = "hep_bench_flags"
SECRET = "bench-only-secret-key-0123456789abcdef-0123456789"
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
HISTORIES = (("30 days", 30), ("3 years", 3 * 365))
LIVE_RECORDS = 150
LATE_RECORDS = 30


def make_app(url: str) -> Any:
    from server import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": SECRET,
            "JWT_SECRET_KEY": SECRET,
            "LOG_LEVEL": "WARNING",
        }
    )


def _record(patient_id: uuid.UUID, clinic_id: uuid.UUID, day: date, hour: int) -> dict[str, Any]:
    at = datetime.combine(day, wall(hour), UTC)
    return {
        "id": uuid.uuid4(),
        "clinic_id": clinic_id,
        "patient_id": patient_id,
        "recorded_at": at,
        "received_at": at,
        "local_date": day,
        "body_digest": "0" * 64,
    }


def seed_patient(history_days: int) -> tuple[uuid.UUID, uuid.UUID]:
    """A clinic, therapist and patient (UTC) with ``history_days`` of daily records."""
    from server.accounts.models import Clinic, Patient, User
    from server.extensions import db
    from server.flags.models import SEVERITY_RANK, Flag
    from server.programmes.models import Programme, ProgrammeRevision
    from server.tracking.models import HeadacheEntry, PainRating, PostureBreak, SessionLog

    clinic = Clinic(name="Bench clinic")
    db.session.add(clinic)
    db.session.flush()
    therapist = User(
        clinic_id=clinic.id, email=f"t-{uuid.uuid4()}@b.example", name="T", role="therapist"
    )
    user = User(clinic_id=clinic.id, email=f"p-{uuid.uuid4()}@b.example", name="P", role="patient")
    db.session.add_all([therapist, user])
    db.session.flush()
    db.session.add(
        Patient(id=user.id, clinic_id=clinic.id, therapist_id=therapist.id, timezone="UTC")
    )
    today = NOW.date()
    start = today - timedelta(days=history_days)
    programme = Programme(
        clinic_id=clinic.id,
        patient_id=user.id,
        start_date=start,
        baseline_pain=3,
        created_by=therapist.id,
    )
    db.session.add(programme)
    db.session.flush()
    schedule = {
        "days": [1, 2, 3, 4, 5, 6, 7],
        "slots": [{"slot": "morning", "time": "08:00"}, {"slot": "evening", "time": "19:00"}],
    }
    db.session.add(
        ProgrammeRevision(
            programme_id=programme.id,
            clinic_id=clinic.id,
            patient_id=user.id,
            number=1,
            kind="initial",
            items=[],
            schedule=schedule,
            posture_breaks={"enabled": True, "interval_minutes": 40},
            author_id=therapist.id,
            reason="bench",
            effective_at=datetime.combine(start, wall(0), UTC),
        )
    )
    ratings, sessions, headaches, breaks, flags = [], [], [], [], []
    for offset in range(history_days):
        day = start + timedelta(days=offset)
        score = 3 + (offset % 7 == 3) * 4  # a weekly spike: plenty of flags in the history
        for hour, context in ((7, "morning"), (20, "evening")):
            ratings.append(
                {**_record(user.id, clinic.id, day, hour), "score": score, "context": context}
            )
        for hour, slot in ((8, "morning"), (19, "evening")):
            sessions.append(
                {
                    **_record(user.id, clinic.id, day, hour),
                    "slot": slot,
                    "status": "completed",
                    "items": [],
                    "exertion": 4,
                    "pain_during": 3,
                    "pain_after": 3,
                }
            )
        if offset % 3 == 0:
            headaches.append(
                {
                    **_record(user.id, clinic.id, day, 15),
                    "started_at": datetime.combine(day, wall(14), UTC),
                    "duration_minutes": 60,
                    "intensity": 4,
                    "side": "left",
                    "triggers": [],
                    "medication_taken": False,
                }
            )
        breaks += [_record(user.id, clinic.id, day, hour) for hour in (10, 12, 15)]
        if offset % 7 == 3 and day < today - timedelta(days=100):
            flags.append(
                {
                    "id": uuid.uuid4(),
                    "clinic_id": clinic.id,
                    "patient_id": user.id,
                    "type": "flare_up",
                    "severity": "normal",
                    "severity_rank": SEVERITY_RANK["normal"],
                    "status": "auto_resolved",
                    "opened_at": datetime.combine(day, wall(21), UTC),
                    "updated_at": datetime.combine(day, wall(21), UTC),
                    "episode_start": day,
                    "episode_end": day + timedelta(days=2),
                    "last_evidence_on": day + timedelta(days=2),
                    "evidence": [],
                    "suggested_action": "contact_patient",
                    "expected": False,
                    "auto_resolution_reason": "settled",
                }
            )
    for model, rows in (
        (PainRating, ratings),
        (SessionLog, sessions),
        (HeadacheEntry, headaches),
        (PostureBreak, breaks),
        (Flag, flags),
    ):
        for chunk in range(0, len(rows), 2000):
            db.session.execute(sa.insert(model.__table__), rows[chunk : chunk + 2000])
    db.session.commit()
    return user.id, clinic.id


class StatementCounter:
    def __init__(self, engine: sa.Engine) -> None:
        self.count = 0
        sa.event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *_args: Any) -> None:
        self.count += 1


def measure(
    patients: list[tuple[uuid.UUID, uuid.UUID]], days_back: int, n: int, counter: StatementCounter
) -> list[dict[str, float]]:
    """Store and evaluate ``n`` pain ratings ``days_back`` days before today for each patient,
    one per commit, taking turns so that machine load weighs on every patient alike.
    """
    from server.extensions import db
    from server.flags.jobs import run_pending_evaluations
    from server.flags.services import queue_evaluation
    from server.tracking.models import PainRating

    timings: list[list[float]] = [[] for _ in patients]
    statements: list[list[int]] = [[] for _ in patients]
    for i in range(n):
        now = NOW + timedelta(minutes=i)
        day = now.date() - timedelta(days=days_back)
        for k, (patient_id, clinic_id) in enumerate(patients):
            row = {**_record(patient_id, clinic_id, day, 9), "score": 3, "context": "now"}
            db.session.execute(sa.insert(PainRating.__table__), [row])
            before = counter.count
            started = time.perf_counter()
            # The request's part (queue mark + commit), then the flag tick's evaluation of it.
            queue_evaluation(patient_id=patient_id, clinic_id=clinic_id, days={day}, now=now)
            db.session.commit()
            assert run_pending_evaluations(now) == 1
            timings[k].append((time.perf_counter() - started) * 1000)
            statements[k].append(counter.count - before)
    results = []
    for samples, counts in zip(timings, statements, strict=True):
        samples.sort()
        results.append(
            {
                "mean": statistics.fmean(samples),
                "p50": samples[len(samples) // 2],
                "p95": samples[int(len(samples) * 0.95) - 1],
                "statements": statistics.median(counts),
            }
        )
    return results


def run_backend(name: str, url: str) -> list[tuple[str, str, str, dict]]:
    from server.extensions import db

    app = make_app(url)
    rows = []
    with app.app_context():
        db.create_all()
        counter = StatementCounter(db.engine)
        patients = [seed_patient(days) for _, days in HISTORIES]
        measure(patients, 0, 5, counter)  # warm-up: first evaluations, statement caches
        for kind, days_back, n in (
            ("live (today)", 0, LIVE_RECORDS),
            ("late (30 days back)", 30, LATE_RECORDS),
        ):
            results = measure(patients, days_back, n, counter)
            for (label, _), result in zip(HISTORIES, results, strict=True):
                rows.append((name, label, kind, result))
        db.session.remove()
        db.drop_all()
        db.engine.dispose()
    return rows


def print_table(rows: list[tuple[str, str, str, dict]]) -> None:
    header = f"{'backend':<11}{'history':<10}{'record':<21}{'mean ms':>9}{'p50 ms':>9}"
    print(header + f"{'p95 ms':>9}{'SQL/eval':>10}")
    for backend, history, kind, r in rows:
        print(
            f"{backend:<11}{history:<10}{kind:<21}{r['mean']:>9.2f}{r['p50']:>9.2f}"
            f"{r['p95']:>9.2f}{r['statements']:>10.0f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    rows = []
    for backend in args.backends.split(","):
        if backend == "sqlite":
            with tempfile.TemporaryDirectory(prefix="hep-bench-flags-") as tmp:
                rows += run_backend("sqlite", f"sqlite:///{Path(tmp) / 'flags.db'}")
        else:
            try:
                admin = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3)
            except psycopg.OperationalError as error:
                print(f"postgresql skipped: {error}")
                continue
            with admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{POSTGRES_DB}" WITH (FORCE)')
                admin.execute(f'CREATE DATABASE "{POSTGRES_DB}"')
            base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace(
                "postgresql://", "postgresql+psycopg://", 1
            )
            try:
                rows += run_backend("postgresql", f"{base}/{POSTGRES_DB}")
            finally:
                with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{POSTGRES_DB}" WITH (FORCE)')
    print(
        "Flag evaluation per ingested record (queue mark + commit in the request, then the"
        " flag tick's evaluation of that patient, committed):"
    )
    order = [label for label, _ in HISTORIES]
    print_table(sorted(rows, key=lambda r: (r[0], r[2], order.index(r[1]))))
    print(
        "A late record re-derives 34 days (reading 54): the 30-day patient has less data in that"
        " window than the 3-year one, so compare live with live and late with late."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
