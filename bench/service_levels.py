"""The two service levels under the bench load: ``python -m bench.service_levels``.

On PostgreSQL (a dedicated ``hep_bench_slo`` database, created and dropped here): the bench's
clinic (200 patients, 4 weeks of history), plus reminder patients whose morning slot falls in
each minute of the run; the API under gunicorn and one scheduler process with its default ticks
(flags every 10 s, reminders every 30 s) and its metrics port. The bench's pain-rating load (16
connections, each record marking its patient due for evaluation) runs for ``--seconds``; then the
scheduler's histograms are read and each p99 is estimated as Prometheus' ``histogram_quantile``
does (linear within the bucket). Reminder dispatch lag is also computed exactly from the database
(``sent_at - occurrence_at`` of every reminder pushed). README, "Service levels".
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from datetime import time as wall
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script
    sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

from bench import load, seed  # noqa: E402
from bench.server import BIN, Gunicorn, free_port  # noqa: E402

DATABASE = "hep_bench_slo"
OBJECTIVES = {"hep_flag_evaluation_lag_seconds": 30.0, "hep_reminder_dispatch_lag_seconds": 60.0}


def add_reminder_patients(url: str, start: datetime, minutes: int, per_minute: int) -> int:
    """Patients whose morning reminder is due at each minute of the run, quiet hours elsewhere."""
    from bench.reminder_ticks import insert_patients
    from server import create_app
    from server.accounts.models import Patient, User
    from server.extensions import db

    app = create_app(seed._app_overrides(url))
    added = 0
    with app.app_context():
        therapist = db.session.scalars(sa.select(User).where(User.role == "therapist")).first()
        for minute in range(1, minutes + 1):
            due = (start + timedelta(minutes=minute)).replace(second=0, microsecond=0)
            ids = insert_patients(
                per_minute,
                clinic_id=therapist.clinic_id,
                therapist_id=therapist.id,
                session_due=due,
                posture_due=None,
                morning=due.strftime("%H:%M"),
            )
            quiet = (due + timedelta(hours=6)).time().replace(minute=0, second=0)
            db.session.execute(
                sa.update(Patient)
                .where(Patient.id.in_(ids))
                .values(quiet_start=quiet, quiet_end=wall((quiet.hour + 1) % 24))
            )
            added += len(ids)
        db.session.commit()
        db.engine.dispose()
    return added


def p99(families: dict, name: str) -> tuple[float, int]:
    """The 99th percentile of histogram ``name`` (as histogram_quantile), and its count."""
    buckets = sorted(
        (float(s.labels["le"]), s.value)
        for s in families[name].samples
        if s.name.endswith("_bucket")
    )
    total = buckets[-1][1]
    if not total:
        return float("nan"), 0
    rank, lower, below = 0.99 * total, 0.0, 0.0
    for bound, count in buckets:
        if count >= rank:
            if bound == float("inf"):
                return lower, int(total)
            return lower + (bound - lower) * (rank - below) / max(count - below, 1e-9), int(total)
        lower, below = bound, count
    return lower, int(total)


def exact_dispatch_lags(url: str, since: datetime) -> list[float]:
    """Every reminder push sent since ``since``: sent_at - occurrence_at, in seconds, sorted."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "SELECT EXTRACT(EPOCH FROM sent_at - occurrence_at) FROM notifications "
                    "WHERE sent_at IS NOT NULL AND occurrence_at >= :since"
                ),
                {"since": since},
            ).scalars()
            return sorted(float(v) for v in rows)
    finally:
        engine.dispose()


def run(seconds: int, per_minute: int) -> dict[str, object]:
    """Set up, load, measure; returns the figures."""
    url = seed.recreate_postgres(DATABASE)
    logs = Path(tempfile.mkdtemp(prefix="hep-slo-"))
    try:
        seed.migrate(url)
        seeded, _warnings = seed.seed(url)
        start = datetime.now(UTC)
        minutes = max(1, seconds // 60)
        reminders = add_reminder_patients(url, start, minutes, per_minute)
        env = {**os.environ, **seed.server_env(url), "HEP_ENV": "development"}
        env["PUSH_PROVIDER"] = "log"
        metrics_port = free_port()
        scheduler_env = {**env, "SCHEDULER_METRICS_PORT": str(metrics_port), "LOG_LEVEL": "WARNING"}
        with (
            Gunicorn(env, log_path=logs / "gunicorn.log") as api,
            (logs / "scheduler.log").open("ab") as scheduler_log,
        ):
            scheduler = subprocess.Popen(
                [str(BIN / "flask"), "scheduler", "run"],
                cwd=ROOT,
                env=scheduler_env,
                stdout=scheduler_log,
                stderr=subprocess.STDOUT,
            )
            try:
                spec = {
                    "method": "POST",
                    "path": "/api/v1/me/pain-ratings",
                    "host": "127.0.0.1",
                    "port": api.port,
                    "body_kind": "pain_rating",
                    "connections": 16,
                    "warmup": 1.0,
                    "duration": float(seconds),
                    "header_sets": [
                        {"Authorization": f"Bearer {token}"}
                        for token in seed.patient_group(seeded.patient_tokens, 0)
                    ],
                }
                figures = asyncio.run(load.run(spec))
                time.sleep(35)  # one more dispatch tick for the last minute's reminders
                text = requests.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).text
            finally:
                scheduler.terminate()  # it stops once its running job has finished
                try:
                    scheduler.wait(timeout=120)
                except subprocess.TimeoutExpired:
                    scheduler.kill()
                    scheduler.wait(timeout=10)
        families = {f.name: f for f in text_string_to_metric_families(text)}
        exact = exact_dispatch_lags(url, start)
        return {
            "load": figures,
            "reminder_patients": reminders,
            "flag": p99(families, "hep_flag_evaluation_lag_seconds"),
            "dispatch": p99(families, "hep_reminder_dispatch_lag_seconds"),
            "dispatch_exact_p99": exact[int(0.99 * (len(exact) - 1))] if exact else float("nan"),
            "dispatch_exact_n": len(exact),
        }
    finally:
        seed.drop_postgres(DATABASE)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=180, help="length of the load (s)")
    parser.add_argument("--per-minute", type=int, default=100, help="reminders due a minute")
    args = parser.parse_args(argv)
    result = run(args.seconds, args.per_minute)
    load_figures = result["load"]
    print(
        f"load: {load_figures['requests']} pain ratings in {args.seconds} s "
        f"({load_figures['throughput']:.0f}/s, p99 {load_figures['p99_ms']:.0f} ms, "
        f"statuses {load_figures['statuses']}); reminder patients: {result['reminder_patients']}"
    )
    flag_p99, flag_n = result["flag"]
    dispatch_p99, dispatch_n = result["dispatch"]
    print(f"flag evaluation lag: p99 {flag_p99:.1f} s over {flag_n} evaluations (objective 30 s)")
    print(
        f"reminder dispatch lag: p99 {dispatch_p99:.1f} s over {dispatch_n} pushes "
        f"(exact from the database: {result['dispatch_exact_p99']:.1f} s over "
        f"{result['dispatch_exact_n']}; objective 60 s)"
    )
    met = flag_p99 < 30 and dispatch_p99 < 60
    print("both objectives met" if met else "an objective was missed")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
