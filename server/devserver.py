"""``make run``: the API under gunicorn and the scheduler process, side by side, on one SQLite file.

Prints the URL and the demo logins, and stops both processes on Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


# No buffering proxy in front here: threads, so one client's slow sockets take at most its
# share of them (server/bodies.py), not every worker (README, "Slow clients").
DIRECT_SERVING = {"GUNICORN_WORKER_CLASS": "gthread", "GUNICORN_THREADS": "8"}


def main() -> int:
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "8000")
    env = {
        **DIRECT_SERVING,
        **os.environ,
        "HOST": host,
        "PORT": port,
        "FLASK_APP": "wsgi.py",
        "HEP_ENV": os.environ.get("HEP_ENV") or "development",
        "SCHEDULER_METRICS_PORT": os.environ.get("SCHEDULER_METRICS_PORT") or "9465",
    }
    api = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT, env=env
    )
    scheduler = subprocess.Popen([str(BIN / "flask"), "scheduler", "run"], cwd=ROOT, env=env)
    processes = [api, scheduler]
    print(
        f"\nHEP Tracker is running at http://{host}:{port}\n"
        f"  console: http://{host}:{port}/console/\n"
        f"  health:  http://{host}:{port}/healthz (and /livez, /readyz)\n"
        f"  metrics: http://{host}:{port}/metrics, the scheduler's at "
        f"http://127.0.0.1:{env['SCHEDULER_METRICS_PORT']}/metrics\n"
        f"  docs:    http://{host}:{port}/api/v1/docs\n"
        "  therapist login: therapist@demo.example / demo-therapist\n"
        "  clinic admin:    admin@demo.example / demo-admin\n"
        "  patients:        ayse@demo.example, john@demo.example / demo-patient\n"
        "  scheduler:       running in its own process\n"
        "Press Ctrl-C to stop.\n",
        flush=True,
    )

    def stop(*_: object) -> None:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
    finally:
        stop()
        for process in processes:
            process.wait(timeout=30)
    return max((p.returncode or 0) for p in processes)


if __name__ == "__main__":
    raise SystemExit(main())
