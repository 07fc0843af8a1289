"""gunicorn settings for the API. Every knob can be overridden from the environment.

The defaults were chosen with ``make bench`` on a 2-core machine (README "Production"):
``WEB_CONCURRENCY`` workers of ``GUNICORN_WORKER_CLASS`` with ``GUNICORN_THREADS`` threads each.
"""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
# Threaded workers: part of each request waits on the database, and threads keep the idle
# keep-alive connections of mobile clients cheap. Compared with sync workers in bench/.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Import the app once in the master: workers fork with it loaded (shared pages, fast restarts).
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") == "1"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then so a slow leak can never grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "10000"))
max_requests_jitter = 1000
# Heartbeat files in memory, not on a possibly slow disk (gunicorn's own advice for containers).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
accesslog = None  # the app logs each request itself, without ids or query strings
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_worker_init(worker):
    """Never share the master's database connections with a worker (preload_app)."""
    app = getattr(worker, "wsgi", None)
    if app is None or not hasattr(app, "app_context"):
        return
    from server.extensions import db

    with app.app_context():
        db.engine.dispose(close=False)
