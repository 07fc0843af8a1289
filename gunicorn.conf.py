"""gunicorn settings for the API. Every knob can be overridden from the environment.

The defaults were chosen with ``make bench`` on a 2-core machine (see README "Production"):
``WEB_CONCURRENCY`` workers of ``GUNICORN_WORKER_CLASS`` with ``GUNICORN_THREADS`` threads each.
"""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
# Threaded workers: requests wait on the database part of the time, and threads keep idle
# mobile keep-alive connections cheap. Measured against sync workers in bench/ (README).
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then so a slow leak can never grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = 500
accesslog = None  # the app logs each request itself, without ids or query strings
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
