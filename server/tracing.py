"""Request ids: every request has one (the client's ``X-Request-ID`` when well formed, else a
new one), every response echoes it, and every log line written while handling it carries it.

Scheduler jobs get the same treatment: each run has a ``job_run_id`` on its log lines.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

REQUEST_ID_HEADER = "X-Request-ID"
# Letters, digits, dot, underscore and hyphen, at most 128: a UUID, a ULID or a proxy's trace id
# fits; anything else (spaces, quotes, CR/LF) could forge log lines or headers and is replaced.
WELL_FORMED = re.compile(r"[A-Za-z0-9._-]{1,128}")
_ENVIRON_KEY = "HTTP_" + REQUEST_ID_HEADER.upper().replace("-", "_")

# The fields every log line of the current request or job run carries.
_trace_fields: ContextVar[Mapping[str, str] | None] = ContextVar("trace_fields", default=None)


def new_id() -> str:
    """A fresh id: a UUID4 in 32 hex digits."""
    return uuid.uuid4().hex


def accepted_request_id(offered: str | None) -> str:
    """The client's id when well formed, else a new one: a malformed id is never echoed or
    logged, not even in part."""
    if offered and WELL_FORMED.fullmatch(offered):
        return offered
    return new_id()


def current_request_id() -> str | None:
    """The id of the request being handled, or None outside a request."""
    return (_trace_fields.get() or {}).get("request_id")


@contextmanager
def traced(**fields: str) -> Iterator[None]:
    """Put ``fields`` on every log line written inside the block (this thread or task only)."""
    token = _trace_fields.set({**(_trace_fields.get() or {}), **fields})
    try:
        yield
    finally:
        _trace_fields.reset(token)


class TraceFilter(logging.Filter):
    """Add the current request's (or job run's) trace fields to each record a handler writes."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in (_trace_fields.get() or {}).items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


class RequestIdMiddleware:
    """Outermost WSGI layer: choose the request's id before anything else runs (so a response
    that an inner layer refuses early, such as a 408 for a slow body, still carries it), hand it
    to the app as the only ``X-Request-ID`` it sees, and echo it on the response."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request_id = accepted_request_id(environ.get(_ENVIRON_KEY))
        environ[_ENVIRON_KEY] = request_id

        def start_with_id(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            headers = [(k, v) for k, v in headers if k.lower() != "x-request-id"]
            headers.append((REQUEST_ID_HEADER, request_id))
            return start_response(status, headers, *exc_info)

        with traced(request_id=request_id):
            return self.app(environ, start_with_id)
