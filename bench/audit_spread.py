"""What spreading page reads' audit events costs: ``python -m bench.audit_spread``.

On SQLite and on PostgreSQL (a throwaway ``hep_bench_audit`` database), seeded as ``make bench``
seeds (a therapist with 200 patients), in three rounds: 20 reads of the 200-patient list (201
events each, written as 20 ``audit_pages`` rows), spread one page per transaction (what writing
them in each request cost: every page's events a leaf of the per-patient index each), then 20
more reads spread by the scheduler's job (50 pages per transaction, sorted by patient). Printed:
CPU per event of this process and its PostgreSQL backends, and the job's share of the reference.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench.profile import _database_cpu
from bench.scenarios import PATIENTS
from bench.seed import _app_overrides, drop_postgres, migrate, recreate_postgres, seed

POSTGRES_DB = "hep_bench_audit"
PAGES, ROUNDS = 20, 3


def _read_pages(app, seeded) -> int:
    spec = PATIENTS.spec(seeded, warmup=0, duration=0)
    client = app.test_client()
    for _ in range(PAGES):
        response = client.get(spec["path"], headers=spec["header_sets"][0])
        assert response.status_code == 200, response.status_code
    return PAGES


def _spread(app, batch: int) -> tuple[int, float]:
    """Spread every waiting page, ``batch`` pages per transaction: (events, CPU seconds)."""
    from server.audit.jobs import spread_pages_job

    with app.app_context():
        started = time.process_time() + _database_cpu(app)
        events = spread_pages_job(batch=batch)
        return events, time.process_time() + _database_cpu(app) - started


def run(backend: str) -> list[str]:
    from server import create_app
    from server.audit.jobs import PAGES_PER_BATCH

    lines = []
    with tempfile.TemporaryDirectory(prefix="hep-audit-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'audit.db'}"
        if backend == "postgresql":
            url = recreate_postgres(POSTGRES_DB)
        try:
            migrate(url)
            seeded, _ = seed(url)
            app = create_app({**_app_overrides(url), "BENCH_REFERENCES": True})
            for number in range(1, ROUNDS + 1):
                _read_pages(app, seeded)
                one_events, one_cpu = _spread(app, 1)
                _read_pages(app, seeded)
                job_events, job_cpu = _spread(app, PAGES_PER_BATCH)
                one, job = one_cpu / one_events * 1e6, job_cpu / job_events * 1e6
                lines.append(
                    f"   {backend} round {number}: one page per transaction {one:.1f} µs/event "
                    f"({one_events} events), the job ({PAGES_PER_BATCH} pages per transaction) "
                    f"{job:.1f} µs/event ({job_events} events): {job / one:.0%} of the reference"
                )
                print(lines[-1], flush=True)
            with app.app_context():
                from server.extensions import db

                db.engine.dispose()
        finally:
            if backend == "postgresql":
                drop_postgres(POSTGRES_DB)
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.audit_spread")
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    print("== audit spreading: CPU per event (this process and its PostgreSQL backends)")
    for backend in [b for b in args.backends.split(",") if b]:
        run(backend)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
