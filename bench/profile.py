"""Where a request's time goes: ``python -m bench.profile [SCENARIO ...] [--backend sqlite]``.

Seeds the bench clinic, then sends ``--requests`` requests of each scenario through the Flask
test client (in-process, one thread: no gunicorn, no network) under cProfile, and prints the
mean wall time, the mean number of SQL statements, and the top functions by cumulative time
(``--sort tottime`` for their own time). ``--bare``: no cProfile and no table, but the CPU per
request of this process and of its PostgreSQL backends, which a busy host moves far less than
wall time (compare trees by it, alternating runs).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from bench.load import build_body
from bench.scenarios import SCENARIOS, Scenario
from bench.seed import _app_overrides, drop_postgres, migrate, recreate_postgres, seed

POSTGRES_DB = f"hep_bench_profile_{os.getpid()}"


def profile(
    scenario: Scenario, app, seeded, requests: int, top: int, sort: str, *, bare: bool = False
) -> str:
    """Profile ``requests`` requests of ``scenario``; return the report (``bare``: time them
    without cProfile, whose overhead swamps small differences, and print no table)."""
    from server.extensions import db

    spec = scenario.spec(seeded, warmup=0, duration=0)
    headers = spec["header_sets"][0]
    items = (spec["item_sets"] or [None])[0]
    client = app.test_client()
    statements = 0

    def count(*_: object) -> None:
        nonlocal statements
        statements += 1

    def send() -> int:
        body = build_body(spec["body_kind"], spec, items)
        response = client.open(
            spec["path"],
            method=spec["method"],
            data=body or None,
            headers={**headers, "Content-Type": "application/json"} if body else headers,
        )
        status = response.status_code
        response.close()
        return status

    first = send()  # warm caches (and show what the endpoint answers)
    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", count)
    profiler = cProfile.Profile()
    server_cpu = _database_cpu(app)
    cpu = time.process_time()
    started = time.perf_counter()
    if not bare:
        profiler.enable()
    statuses = [send() for _ in range(requests)]
    profiler.disable()
    elapsed = (time.perf_counter() - started) / requests * 1000
    cpu = (time.process_time() - cpu) / requests * 1000
    server_cpu = (_database_cpu(app) - server_cpu) / requests * 1000
    with app.app_context():
        sa.event.remove(db.engine, "before_cursor_execute", count)
    if bare:
        head = head_line(scenario, elapsed, statements / requests, first, statuses)
        return (
            f"{head[:-1]}; CPU {cpu + server_cpu:.3f} ms/request (this process {cpu:.3f}, "
            f"its database backends {server_cpu:.3f})"
        )
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(sort).print_stats(top)
    head = head_line(scenario, elapsed, statements / requests, first, statuses)
    return head + "\n".join(out.getvalue().splitlines()[4:])


def _database_cpu(app) -> float:
    """Seconds of CPU the PostgreSQL backends of this app's database have used (0 on SQLite,
    which runs in this process): with the process's own, a figure a busy host barely moves."""
    from server.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return 0.0
        with db.engine.connect() as connection:
            pids = connection.scalars(
                sa.text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
            ).all()
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile, or another host's server
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def head_line(scenario: Scenario, ms: float, statements: float, first: int, statuses) -> str:
    return (
        f"## {scenario.name}: {ms:.2f} ms/request, {statements:.1f} SQL "
        f"statements/request, first status {first}, statuses {sorted(set(statuses))}\n"
    )


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("scenarios", nargs="*", help="name fragments (default: all)")
    parser.add_argument("--backend", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="cumulative", help="pstats key, e.g. tottime")
    parser.add_argument("--bare", action="store_true", help="time without cProfile, no table")
    args = parser.parse_args()
    from server import create_app

    with tempfile.TemporaryDirectory(prefix="hep-profile-") as tmp:
        if args.backend == "sqlite":
            url = f"sqlite:///{Path(tmp) / 'profile.db'}"
        else:
            url = recreate_postgres(POSTGRES_DB)
        try:
            migrate(url)
            seeded, warnings = seed(url)
            for warning in warnings:
                print(f"note: {warning}")
            app = create_app({**_app_overrides(url), "BENCH_REFERENCES": True})
            chosen = [
                s
                for s in SCENARIOS
                if not args.scenarios or any(f in s.name for f in args.scenarios)
            ]
            for scenario in chosen:
                report = profile(
                    scenario, app, seeded, args.requests, args.top, args.sort, bare=args.bare
                )
                print(report, flush=True)
            with app.app_context():
                from server.extensions import db

                db.engine.dispose()
        finally:
            if args.backend == "postgresql":
                drop_postgres(POSTGRES_DB)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
