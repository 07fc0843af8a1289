"""Structured (JSON) logging that never carries tokens, passwords or patient details."""

from __future__ import annotations

import logging
import os
import re
import sys
import time
import traceback
from types import TracebackType
from typing import Any

from flask import Flask, Response, g, request
from gunicorn.glogging import Logger
from pythonjsonlogger.json import JsonFormatter

from server.tracing import TraceFilter

# Keys whose values must never reach a log line, whatever a caller passes in ``extra``.
REDACTED_KEYS = frozenset(
    {
        "password", "token", "access_token", "refresh_token", "authorization", "email",
        "notes", "note", "invite_code", "code", "push_token", "body", "triggers", "patient_name",
    }
)  # fmt: skip


class RedactingFilter(logging.Filter):
    """Replace the value of any sensitive ``extra`` key with ``[redacted]``, and render
    tracebacks without exception messages (see :func:`traceback_without_messages`).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        for key in REDACTED_KEYS & set(record.__dict__):
            setattr(record, key, "[redacted]")
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = traceback_without_messages(record.exc_info[1])
            record.exc_info = None
        return True


def traceback_without_messages(error: BaseException) -> str:
    """Where each exception of the chain was raised and its type, but not its message: a
    database error's message carries the statement's parameters and the server's ``DETAIL``
    (an e-mail address, a name, a note), and other messages may quote the request.
    """
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    lines = ["Traceback (messages withheld):\n"]
    for link in reversed(chain):
        tb: TracebackType | None = link.__traceback__
        lines += traceback.format_tb(tb)
        lines.append(f"{type(link).__module__}.{type(link).__qualname__}\n")
    return "".join(lines).rstrip("\n")


_UUID = re.compile(
    r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
)
_QUERY = re.compile(r"\?[^\s'\"]*")
_NUMBER_SEGMENT = re.compile(r"(?<=/)\d+(?=[/?\s'\"]|$)")
# A calendar feed's address carries its token (the credential) in the path.
_FEED_TOKEN = re.compile(r"(?<=/calendar-feeds/)[^/?\s'\"]+")


def scrub_request_targets(text: str) -> str:
    """A message with ids, feed tokens and query strings taken out of any request target it
    quotes (``/api/v1/patients/<id>?<query>``): gunicorn's own lines quote the raw target."""
    text = _FEED_TOKEN.sub("<token>", text)
    text = _UUID.sub("<id>", text)
    text = _QUERY.sub("?<query>", text)
    return _NUMBER_SEGMENT.sub("<id>", text)


class RequestTargetFilter(logging.Filter):
    """Scrub request targets from the message of a server's own log lines (gunicorn's)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub_request_targets(record.getMessage())
        record.args = ()
        return True


class DemoteToDebug(logging.Filter):
    """Log a chatty library's INFO lines (APScheduler: every job run) at DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.INFO:
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger().isEnabledFor(logging.DEBUG)
        return True


# APScheduler's loggers that write a line for every job run.
CHATTY_LOGGERS = ("apscheduler.executors.default", "apscheduler.scheduler")


class PlainFormatter(logging.Formatter):
    """Plain text for humans, ending with the request's (or job run's) id when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = [f"{key}={getattr(record, key)}" for key in TRACE_KEYS if hasattr(record, key)]
        return " ".join([line, *ids])


TRACE_KEYS = ("request_id", "job_id", "job_run_id")


def log_formatter(log_format: str) -> logging.Formatter:
    """The one formatter every line goes through: JSON, or plain text for humans."""
    if log_format == "json":
        return JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s", timestamp=False)
    return PlainFormatter("%(asctime)s %(levelname)s %(name)s %(message)s")


def configure_logging(app: Flask) -> None:
    """Install one JSON (or plain) handler on the root logger and log each request's outcome."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(log_formatter(app.config["LOG_FORMAT"]))
    handler.addFilter(RedactingFilter())
    handler.addFilter(TraceFilter())
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if not getattr(h, "hep_handler", False)]
    handler.hep_handler = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(app.config["LOG_LEVEL"])
    for name in CHATTY_LOGGERS:
        chatty = logging.getLogger(name)
        chatty.filters = [f for f in chatty.filters if not isinstance(f, DemoteToDebug)]
        chatty.addFilter(DemoteToDebug())
    _log_requests(app)


class GunicornLogger(Logger):
    """gunicorn's own log (start-up, workers, errors) through the app's formatter and
    redaction, with request targets scrubbed: ``logger_class`` in ``gunicorn.conf.py``."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        formatter = log_formatter(os.environ.get("LOG_FORMAT", "json"))
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(formatter)
                handler.addFilter(RequestTargetFilter())
                handler.addFilter(RedactingFilter())
                handler.addFilter(TraceFilter())


def _log_requests(app: Flask) -> None:
    access_log = logging.getLogger("server.access")

    @app.before_request
    def _start_timer() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def _log_response(response: Response) -> Response:
        started = g.get("request_started")
        fields: dict[str, Any] = {
            "method": request.method,
            # The URL rule, not the path: no ids or query strings in access logs.
            "route": request.url_rule.rule if request.url_rule else "<unmatched>",
            "status": response.status_code,
        }
        if started is not None:
            fields["duration_ms"] = round((time.perf_counter() - started) * 1000, 2)
        access_log.info("request", extra=fields)
        return response
