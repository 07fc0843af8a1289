"""``python -m cluster [--short]``: the cluster test (``make cluster``); exits 1 on a failure.

PostgreSQL (127.0.0.1:5432, a fresh database dropped afterwards), Redis (127.0.0.1:6379, keys
under the run's own prefix), two gunicorn masters on two free ports and two scheduler
processes; a clinic day for ``--patients`` patients with one API master and one scheduler
SIGKILLed midway and restarted. Prints its figures, then its assertions' outcome.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from cluster.run import Plan, Unavailable, run

# The short version (the test suite's): fewer patients, a 30-second day, both reminder slots
# already due when the schedulers start, one worker per API server.
UNAVAILABLE = 3  # PostgreSQL or Redis does not answer (2 is argparse's usage error)
SHORT = Plan(patients=200, minutes=2, first_minute=-1, day_seconds=30.0, workers=1, threads=8)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cluster", description=__doc__)
    parser.add_argument("--short", action="store_true", help="the short version (the test's)")
    parser.add_argument("--patients", type=int, help="patients (default 2000; short: 200)")
    parser.add_argument("--logs", type=Path, help="keep the processes' logs in this directory")
    args = parser.parse_args(argv)
    plan = SHORT if args.short else Plan()
    if args.patients:
        plan.patients = args.patients
    os.environ.setdefault("HEP_ENV", "development")  # the in-process seeding app
    started = datetime.now(UTC)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="hep-cluster-") as logs:
        if args.logs:
            args.logs.mkdir(parents=True, exist_ok=True)
        try:
            report = run(plan, args.logs or Path(logs))
        except Unavailable as error:
            print(f"cluster test not run: {error}", file=sys.stderr)
            return UNAVAILABLE
    figures = {
        "date (UTC)": f"{started:%Y-%m-%d %H:%M}",
        **report.figures,
        "load average before / after (1 min)": (
            round(load_before[0], 2),
            round(os.getloadavg()[0], 2),
        ),
    }
    for key, value in figures.items():
        shown = json.dumps(value, default=str) if isinstance(value, (dict, list, tuple)) else value
        print(f"{key:>48}: {shown}")
    if report.failures:
        print("\nFAILED:\n  " + "\n  ".join(report.failures))
        return 1
    print("\nall cluster assertions held")
    return 0


if __name__ == "__main__":
    sys.exit(main())
