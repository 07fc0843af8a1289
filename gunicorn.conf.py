"""gunicorn settings for the API. Every knob can be overridden from the environment.

The defaults were chosen with ``make bench`` on a 2-core machine (README, "Benchmarks"):
``WEB_CONCURRENCY`` workers of ``GUNICORN_WORKER_CLASS`` (``GUNICORN_THREADS`` for gthread).
"""

import gc
import glob
import logging
import os
import shutil
import sys
import tempfile

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
# gunicornc's control socket, one per bind address: gunicorn's default is one path per user, so
# a second server on this machine (make cluster runs two) took it over, gunicornc commands meant
# for the first reached the second, and the second's exit removed it, leaving the first with none.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET") or os.path.join(
    os.environ.get("XDG_RUNTIME_DIR") or os.path.join(os.path.expanduser("~"), ".gunicorn"),
    "gunicorn-" + "".join(c if c.isalnum() or c == "." else "_" for c in bind) + ".ctl",
)
# Sync workers, 3 on 2 cores: measured with make bench against gthread (2-4 workers x 2-4
# threads) and sync x5, they gave the lowest p99 for the real endpoints at 16 connections with
# the same or better throughput: the app is CPU-bound Python, so threads mostly queue on the GIL
# and add tail latency. Sync workers need a buffering reverse proxy (nginx, a cloud load
# balancer) in front of slow mobile clients; without one, use GUNICORN_WORKER_CLASS=gthread.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))  # used by gthread only
# Import the app once in the master: workers fork with it loaded (shared pages, fast restarts).
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") == "1"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then so a slow leak can never grow without bound; not so often that
# recycling itself shows: at the bench's peak (300-1,200 req/s a worker) 10,000 meant a restart
# every 10-30 s, each costing the busy API a share of its throughput (make bench, bench/HISTORY.md).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "50000"))
max_requests_jitter = max_requests // 10
# Heartbeat files in memory, not on a possibly slow disk (gunicorn's own advice for containers).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
accesslog = None  # the app logs each request itself, without ids or query strings
errorlog = "-"
# gunicorn's own lines in the app's JSON, redacted, with request targets scrubbed of ids.
logger_class = "server.logs.GunicornLogger"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# Metrics (server/metrics.py): each worker writes its values to files in this directory, and
# /metrics adds every live and past worker's up, whichever worker answers. Set here, before the
# app (and prometheus_client) is imported; a private directory per server unless one is given.
# Only when gunicorn loads this file (as ``__config__``), not when a test imports it.
METRICS_DIR_OWNED = __name__ == "__config__" and "PROMETHEUS_MULTIPROC_DIR" not in os.environ
if METRICS_DIR_OWNED:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="hep-metrics-")


def _dispose_engine(worker, *, close: bool) -> None:
    """Drop the worker's pooled database connections (``close``: closing them)."""
    app = getattr(worker, "wsgi", None)
    if app is not None and hasattr(app, "app_context"):
        from server.extensions import db

        with app.app_context():
            db.engine.dispose(close=close)


def post_worker_init(worker):
    """Never share the master's database connections with a worker (preload_app), and move
    everything loaded so far out of the garbage collector's sight.
    """
    _dispose_engine(worker, close=False)
    # The app's long-lived objects (models, schemas, the OpenAPI spec) would otherwise be
    # scanned by every full collection; frozen, a collection only walks what requests create.
    gc.freeze()


def worker_exit(server, worker):
    """Leave a recycled or stopped sync worker at once, without the interpreter's teardown.

    The teardown frees every object one by one: in a worker forked from the preloaded master
    that writes to (and so copies) nearly every shared page, CPU taken from the workers still
    serving (in make bench, a recycle cost the busy single POST a quarter of its throughput).
    The database connections are closed and the logs flushed first; the exit status gunicorn
    set is kept, since its arbiter reads it (a worker that failed to boot stops the server).

    gunicorn calls this in the worker, in the ``finally`` around ``sys.exit``, and in the
    arbiter for a worker it found gone (left alone here). Only sync workers: a gthread
    worker's pool may still be finishing requests that the usual exit would wait for.
    """
    from gunicorn.workers.sync import SyncWorker

    leaving = sys.exc_info()[1]
    if not isinstance(worker, SyncWorker) or getattr(worker, "pid", None) != os.getpid():
        return
    if not isinstance(leaving, SystemExit) or not isinstance(leaving.code, int | None):
        return  # not gunicorn's own exit: let Python finish as usual
    _dispose_engine(worker, close=True)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit((leaving.code or 0) & 0xFF)


def on_starting(server):
    """Start the counters from zero: drop the files an earlier server left in a given directory
    (the master's own, written while the app was preloaded, stay)."""
    mine = f"_{os.getpid()}.db"
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    for path in glob.glob(os.path.join(directory, "*.db")) if directory else ():
        if not path.endswith(mine):
            os.remove(path)


def child_exit(server, worker):
    """A worker has gone: its live gauges (the database pool in use) stop counting."""
    from prometheus_client import multiprocess

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    """Remove the metrics directory this server made for itself."""
    if METRICS_DIR_OWNED:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
