"""``make bench``: every benchmark against a real gunicorn on 127.0.0.1, on SQLite and PostgreSQL.

Usage: ``python -m bench [--backends sqlite,postgresql] [--duration 4] [--only NAME,...]
[--no-compare] [--no-scripts]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.report import (
    RESULTS,
    Row,
    add_ratios,
    calibration_ms,
    cpu_times,
    markdown_table,
    median_of_rounds,
    round_order,
    round_ratios,
    steal_share,
    text_table,
    write_markdown,
)
from bench.scenarios import BULK_ROUNDS, COMPARISON, ROUNDS, SCENARIOS, WORKER_CONFIGS, Scenario
from bench.seed import (
    Seeded,
    analyze,
    autovacuum_is_off,
    drop_postgres,
    migrate,
    recreate_postgres,
    seed,
    server_env,
)
from bench.server import ROOT, Gunicorn

BENCH_DIR = Path(__file__).resolve().parent
SCRIPTS = ["flag_evaluation.py", "reminder_ticks.py"]
# reminder_ticks.py runs its 10k-due tick three times beside its reference on each database.
SCRIPT_TIMEOUT = 420
# Per run, so two runs (or a run beside the test suite) never share a database.
POSTGRES_DB = f"hep_bench_{os.getpid()}"


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    started = time.monotonic()
    cpu_before = cpu_times()
    calibration = [calibration_ms()]
    print(f"== calibration: {calibration[0]} ms for a fixed pure-Python loop", flush=True)
    RESULTS.mkdir(exist_ok=True)
    log = RESULTS / "gunicorn.log"
    log.write_bytes(b"")
    rows: list[Row] = []
    comparison: list[Row] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="hep-bench-") as tmp:
        for backend in args.backends:
            url = _database(backend, Path(tmp))
            try:
                print(f"\n== {backend}: migrating and seeding", flush=True)
                migrate(url)
                seeded, warnings = seed(url)
                notes += [f"{backend}: {w}" for w in warnings]
                env = server_env(url)
                rows += _run_scenarios(
                    backend, env, seeded, SCENARIOS, args, log, Path(tmp), notes, label=None
                )
                # The worker-model comparison runs on the production database only.
                if args.compare and backend == args.backends[-1]:
                    for label, config in WORKER_CONFIGS:
                        comparison += _run_scenarios(
                            backend,
                            {**env, **config},
                            seeded,
                            COMPARISON,
                            args,
                            log,
                            Path(tmp),
                            notes,
                            label=label,
                        )
            finally:
                if backend == "postgresql":
                    drop_postgres(POSTGRES_DB)
    script_output = _run_scripts() if args.scripts else []
    add_ratios(rows)
    add_ratios(comparison)
    print("\n" + text_table(rows))
    title = "Scenarios (gunicorn.conf.py defaults)"
    if args.rounds > 1:
        title += f"; the targets' rows are the median of {args.rounds} interleaved rounds"
    sections = [(title, markdown_table(rows))]
    if comparison:
        print("\nWorker model comparison\n" + text_table(comparison, with_config=True))
        sections.append(("Worker model comparison", markdown_table(comparison, True)))
    for name, output in script_output:
        print(f"\n== bench/{name}\n{output}")
        sections.append((f"bench/{name}", f"```\n{output}\n```"))
    if notes:
        print("\nNotes:\n" + "\n".join(f"- {n}" for n in notes))
        sections.append(("Notes", "\n".join(f"- {n}" for n in notes)))
    calibration.append(calibration_ms())
    sections.append(
        (
            "Calibration",
            f"A fixed pure-Python loop (2M additions, best of 5) took {calibration[0]} ms before "
            f"the run and {calibration[1]} ms after it; lower is faster. Compare runs on "
            "different or shared machines by it. CPU time stolen by the hypervisor during the "
            f"run: {steal_share(cpu_before, cpu_times()):.0%}.",
        )
    )
    command = "make bench  # .venv/bin/python -m bench " + " ".join(argv or sys.argv[1:])
    sections.append(("Command", f"`{command.strip()}`, {time.monotonic() - started:.0f} s"))
    path = write_markdown(sections)
    print(f"\nwritten to {path.relative_to(ROOT)} in {time.monotonic() - started:.0f} s")
    return 0


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--duration", type=float, default=4.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--no-compare", dest="compare", action="store_false")
    parser.add_argument("--no-scripts", dest="scripts", action="store_false")
    parser.add_argument("--only", default="", help="comma-separated scenario name fragments")
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds of the targets' scenarios (median shown)"
    )
    args = parser.parse_args(argv)
    args.backends = [b for b in args.backends.split(",") if b]
    return args


def _database(backend: str, tmp: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp / 'bench.db'}"
    if backend == "postgresql":
        return recreate_postgres(POSTGRES_DB)
    raise SystemExit(f"unknown backend {backend}")


def _run_scenarios(
    backend: str,
    env: dict[str, str],
    seeded: Seeded,
    scenarios: list[Scenario],
    args: argparse.Namespace,
    log: Path,
    tmp: Path,
    notes: list[str],
    *,
    label: str | None,
) -> list[Row]:
    server = Gunicorn(env, log_path=log)
    try:
        server.start()
    except RuntimeError as error:
        print(f"== {backend}: gunicorn {label or 'defaults'} FAILED: {error}", flush=True)
        notes.append(f"{backend} {label or 'defaults'}: gunicorn failed to start ({error})")
        return []
    with server:
        documented = server.openapi_operations()
        workers = len(server.workers())
        print(f"== {backend}: gunicorn {label or 'defaults'} ({workers} workers)", flush=True)
        chosen = []
        for scenario in scenarios:
            if args.only and not any(f in scenario.name for f in args.only.split(",")):
                continue
            if scenario.documented and scenario.documented not in documented:
                print(f"   {scenario.name:<28} not available yet", flush=True)
                continue
            chosen.append(scenario)
        # The first round measures every scenario but the bulk writes; later rounds (defaults
        # only) measure the targets' scenarios again, each beside its reference, in alternating
        # order (see round_order), and the table shows each one's median. The bulk writes (the
        # syncs and their reference) come last, in rounds of their own (Scenario.bulk_writes).
        url = env["DATABASE_URL"]
        stand_in = backend == "postgresql" and autovacuum_is_off(url)

        def measure(scenario: Scenario) -> Row:
            row = _measure(server, scenario, seeded, args, tmp, backend, label)
            if stand_in:
                analyze(url)  # after writes, as autovacuum would (sync adds ~100k rows)
            return row

        # The targets first, each beside its reference (ROUNDS' order), then the others.
        repeated = [s for s in ROUNDS if s in chosen] if label is None else []
        first = [*repeated, *(s for s in chosen if not s.bulk_writes and s not in repeated)]
        measured = {s.name: [measure(s)] for s in first}
        for round_number in range(2, args.rounds + 1 if repeated else 2):
            print(f"   -- round {round_number}", flush=True)
            for scenario in round_order(repeated, round_number):
                measured[scenario.name].append(measure(scenario))
        bulk = [s for s in chosen if s.bulk_writes and s in BULK_ROUNDS]
        for round_number in range(1, (args.rounds if label is None else 1) + 1 if bulk else 1):
            print(f"   -- bulk writes, round {round_number}", flush=True)
            for scenario in round_order(bulk, round_number):
                measured.setdefault(scenario.name, []).append(measure(scenario))
    if stand_in and label is None:
        notes.append(
            f"{backend}: the server runs with autovacuum off, so the bench runs ANALYZE after "
            "each scenario in its place"
        )
    rows = [median_of_rounds(measured[s.name]) for s in chosen]
    notes += [f"{backend} {row.scenario}: statuses {row.statuses}" for row in rows if row.non_2xx]
    if label is None:
        references = {s.name: s.reference for s in chosen if s.reference}
        lines = round_ratios(backend, measured, references)
        print(f"== {backend}: each round against its reference\n   " + "\n   ".join(lines))
        notes += lines
    return rows


def _measure(
    server: Gunicorn,
    scenario: Scenario,
    seeded: Seeded,
    args: argparse.Namespace,
    tmp: Path,
    backend: str,
    label: str | None,
) -> Row:
    """One measured window of ``scenario`` against the running server."""
    # The comparison only ranks configurations: shorter windows keep make bench < 10 min.
    duration = args.duration if label is None else max(2.0, args.duration * 0.75)
    spec = scenario.spec(seeded, warmup=args.warmup, duration=duration)
    result = server.run_load(spec, tmp / "spec.json")
    ok = sum(v for k, v in result["statuses"].items() if k.startswith("2"))
    row = Row(
        scenario.name,
        backend,
        scenario.connections,
        result["throughput"],
        result["p50_ms"],
        result["p99_ms"],
        result["peak_rss_mb"],
        result["requests"] - ok,
        cpu_ms=result.get("cpu_ms_per_request", float("nan")),
        config=label or "",
        statuses=result["statuses"],
    )
    print(
        f"   {scenario.name:<28} {row.throughput:7.0f} req/s  p50 {row.p50_ms:6.1f} ms"
        f"  p99 {row.p99_ms:6.1f} ms  {row.cpu_ms:5.2f} CPU ms/req"
        f"  statuses {result['statuses']}",
        flush=True,
    )
    return row


def _run_scripts() -> list[tuple[str, str]]:
    """Run the standalone bench scripts other domains own; pass their output through."""
    outputs = []
    for name in SCRIPTS:
        script = BENCH_DIR / name
        if not script.exists():
            print(f"   bench/{name:<24} not available yet", flush=True)
            continue
        print(f"== bench/{name}", flush=True)
        try:
            done = subprocess.run(
                [sys.executable, "-m", f"bench.{script.stem}"],  # the repo first on sys.path
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=SCRIPT_TIMEOUT,
                check=False,
            )
            output = (done.stdout + (done.stderr if done.returncode else "")).strip()
            if done.returncode:
                output += f"\n(exit status {done.returncode})"
        except subprocess.TimeoutExpired:
            output = f"(stopped after {SCRIPT_TIMEOUT} s)"
        outputs.append((name, output))
    return outputs


if __name__ == "__main__":
    raise SystemExit(main())
