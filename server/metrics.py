"""Prometheus metrics: the API's requests and database pool, the scheduler's reminders, outbox
and lags, and the backlogs read from the database when scraped.

Every metric is defined here; domains call the small ``count_*``/``observe_*`` functions. No label
holds an id, a name or an e-mail: routes are URL rules (``/api/v1/patients/<uuid:patient_id>``),
never paths, and every other label is one of a few fixed words.

Under gunicorn, ``PROMETHEUS_MULTIPROC_DIR`` (set by ``gunicorn.conf.py``) makes every worker
write its values to files there, and ``/metrics`` adds them up, whichever worker answers.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
from collections import Counter as Tally
from collections.abc import Iterable, Iterator
from datetime import datetime
from time import perf_counter
from typing import Any

from flask import Flask, Request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.registry import Collector

from server.clock import utcnow

log = logging.getLogger(__name__)
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED_ROUTE = "<unmatched>"
METRICS_FORBIDDEN = "Metrics need the metrics token, or a direct connection from this machine."
# Seconds. Requests: most take milliseconds; the top buckets catch a slow database or body.
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
# Seconds. The scheduler's lags: a tick every 10-30 s, objectives of 30 s and 60 s (README).
LAG_BUCKETS = (1, 2.5, 5, 10, 15, 20, 30, 45, 60, 90, 120, 300, 600, 1800, 3600)

HTTP_REQUESTS = Counter(
    "hep_http_requests",
    "HTTP requests answered by the app, by method, route pattern and status.",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "hep_http_request_duration_seconds",
    "Time the app took to answer, by method, route pattern and status.",
    ["method", "route", "status"],
    buckets=REQUEST_BUCKETS,
)
DB_POOL_IN_USE = Gauge(
    "hep_db_pool_connections_in_use",
    "Database connections checked out of the pool, over every live process.",
    multiprocess_mode="livesum",
)
REMINDER_OCCURRENCES = Counter(
    "hep_reminder_occurrences",
    "Reminder occurrences the dispatch tick recorded, by status: due (a push is queued), "
    "suppressed (quiet hours, reminders off), missed (past its grace), sent (a snoozed one whose "
    "session was logged meanwhile).",
    ["status"],
)
REMINDER_WITHHELD = Counter(
    "hep_reminder_pushes_withheld",
    "Queued reminder pushes closed unsent when claimed for sending, by reason.",
    ["reason"],
)
OUTBOX_DELIVERIES = Counter(
    "hep_outbox_deliveries",
    "Outbox sends by channel (push: reminders; staff: alerts and digests; patient: notices) "
    "and outcome: sent, failed (retried later) or dead (dead-lettered: retries exhausted or "
    "not retryable).",
    ["channel", "outcome"],
)
DISPATCH_LAG = Histogram(
    "hep_reminder_dispatch_lag_seconds",
    "From a reminder's due time to its push being sent (first rounds; snoozed rounds excluded).",
    buckets=LAG_BUCKETS,
)
FLAG_EVALUATION_LAG = Histogram(
    "hep_flag_evaluation_lag_seconds",
    "From new data marking a patient due (the earliest unevaluated arrival) to the evaluation.",
    buckets=LAG_BUCKETS,
)


# prometheus_client chose, when first imported, whether values live in files (multiprocess mode,
# ``PROMETHEUS_MULTIPROC_DIR`` set) or in this process's memory; the exposition must follow it.
_MULTIPROCESS_DIR = (
    os.environ.get(MULTIPROC_ENV) if values.ValueClass is not values.MutexValue else None
)


def multiprocess_dir() -> str | None:
    """The directory worker processes share their values through, if multiprocess mode is on."""
    return _MULTIPROCESS_DIR


# --- the API: requests, pool, and /metrics -------------------------------------------------------


# Any other method a client sends is counted as "other": labels must stay a small, fixed set.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# (method, route, status) → its counter and histogram children: ``labels()`` costs more than the
# increment itself. Bounded: every part is one of a fixed set.
_request_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def observe_request(method: str, route: str | None, status: int, seconds: float) -> None:
    """Count one answered request and its duration under its route pattern."""
    key = (method if method in METHODS else "other", route or UNMATCHED_ROUTE, status)
    children = _request_children.get(key)
    if children is None:
        labels = (key[0], key[1], str(status))
        children = HTTP_REQUESTS.labels(*labels), HTTP_LATENCY.labels(*labels)
        _request_children[key] = children
    children[0].inc()
    children[1].observe(seconds)


def track_pool(engine: Any) -> None:
    """Keep :data:`DB_POOL_IN_USE` in step with ``engine``'s pool checkouts and checkins."""
    from sqlalchemy import event

    event.listen(engine, "checkout", lambda *_: DB_POOL_IN_USE.inc())
    event.listen(engine, "checkin", lambda *_: DB_POOL_IN_USE.dec())


def metrics_allowed(request: Request, token: str) -> bool:
    """``METRICS_TOKEN`` set: only a request bearing it. Unset: only a direct connection from
    this machine (loopback, and no ``X-Forwarded-For``: nothing relayed by a proxy)."""
    if token:
        offered = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(offered.encode(), token.encode())
    if "X-Forwarded-For" in request.headers:
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


class _ThisProcess(Collector):
    """The default registry's metrics, as this process alone holds them."""

    def collect(self) -> Iterator[Any]:
        yield from REGISTRY.collect()


def exposition(app: Flask | None = None) -> bytes:
    """The text exposition: every process's values in multiprocess mode, else this process's;
    then, given an app, the backlogs read from its database now."""
    registry = CollectorRegistry(auto_describe=False)
    directory = multiprocess_dir()
    if directory:
        multiprocess.MultiProcessCollector(registry, path=directory)
    else:
        registry.register(_ThisProcess())
    if app is not None:
        registry.register(_backlog(app))
    return generate_latest(registry)


def register_metrics(app: Flask) -> None:
    """Time and count every request, follow the pool, and serve ``GET /metrics`` (outside the
    API and its spec, like a load balancer's probe; guarded by :func:`metrics_allowed`)."""
    from flask import Response, g, request

    from server.access import PUBLIC, allow
    from server.errors import problem
    from server.extensions import db

    @app.before_request
    def _start_clock() -> None:
        g.metrics_started = perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        started = g.get("metrics_started")
        if started is not None:
            rule = request.url_rule.rule if request.url_rule else None
            observe_request(request.method, rule, response.status_code, perf_counter() - started)
        return response

    # Not a role: the metrics token (or a local connection) is checked below.
    @allow(PUBLIC)
    def metrics() -> Response:
        if not metrics_allowed(request, app.config.get("METRICS_TOKEN", "")):
            return problem(403, "Forbidden", METRICS_FORBIDDEN)
        return Response(exposition(app), mimetype=CONTENT_TYPE_LATEST)

    app.add_url_rule("/metrics", "metrics", metrics, methods=["GET"])
    with app.app_context():
        track_pool(db.engine)


# --- the scheduler: reminders, outbox and flag lags ------------------------------------------


def count_reminder_occurrences(statuses: Tally[str]) -> None:
    """Count the occurrences one claimed batch recorded, by status."""
    for status, n in statuses.items():
        if n:
            REMINDER_OCCURRENCES.labels(status).inc(n)


def count_withheld(reason: str, n: int) -> None:
    """Count ``n`` queued reminder pushes closed unsent for ``reason``."""
    REMINDER_WITHHELD.labels(reason).inc(n)


def count_deliveries(
    messages: Iterable[Any], outcomes: Iterable[tuple[Any, Any]], max_attempts: int
) -> None:
    """Count one batch's sends by channel and outcome, as ``record_delivery_results`` stores
    them: a failure is retried while retryable and under ``max_attempts``, else dead."""
    channel_of = {m.delivery_id: (m.channel, m.attempt) for m in messages}
    counts: Tally[tuple[str, str]] = Tally()
    for delivery_id, result in outcomes:
        channel, attempt = channel_of.get(delivery_id, ("unknown", max_attempts))
        if result.ok:
            outcome = "sent"
        elif result.retryable and attempt < max_attempts:
            outcome = "failed"
        else:
            outcome = "dead"
        counts[channel, outcome] += 1
    for (channel, outcome), n in counts.items():  # labels() costs more than the increment
        OUTBOX_DELIVERIES.labels(channel, outcome).inc(n)


def observe_dispatch_lags(due_times: Iterable[datetime], sent_at: datetime) -> None:
    """Observe due → sent for each sent reminder push."""
    for due in due_times:
        DISPATCH_LAG.observe(max(0.0, (sent_at - due).total_seconds()))


def observe_flag_evaluation_lags(states: Iterable[Any], now: datetime) -> None:
    """Observe arrival → evaluation for each claimed state that new data marked due
    (``pending_from`` set); a day becoming complete is no arrival. Evaluated at the later of
    ``now`` and the clock: a run as of ``now`` that has been going a while is later than that."""
    evaluated_at = max(now, utcnow())
    for state in states:
        if state.pending_from is not None and state.next_sweep_at is not None:
            lag = (evaluated_at - state.next_sweep_at).total_seconds()
            FLAG_EVALUATION_LAG.observe(max(0.0, lag))


def scheduler_registry(app: Flask) -> CollectorRegistry:
    """What the scheduler serves: its own values and the backlogs read from the database."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_ThisProcess())
    registry.register(_backlog(app))
    return registry


def _backlog(app: Flask) -> Any:
    """The backlog collector ``create_app`` plugs in (``server.metrics_backlog``, over domains)."""
    return app.extensions["metrics_backlog"](app)


def start_scheduler_metrics(app: Flask) -> Any:
    """Serve the scheduler's metrics on ``SCHEDULER_METRICS_HOST:PORT`` (off when the port is 0);
    returns the server, or None when off or the port is taken (logged; the scheduler runs on)."""
    from prometheus_client import start_http_server

    port = int(app.config.get("SCHEDULER_METRICS_PORT") or 0)
    host = app.config.get("SCHEDULER_METRICS_HOST") or "127.0.0.1"
    if not port:
        return None
    try:
        server, _thread = start_http_server(port, addr=host, registry=scheduler_registry(app))
    except OSError as error:
        log.warning(
            "scheduler metrics not served", extra={"port": port, "error": type(error).__name__}
        )
        return None
    log.info("scheduler metrics served", extra={"host": host, "port": port})
    return server
