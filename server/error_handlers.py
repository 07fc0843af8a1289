"""Every exception a request raises, answered as problem+json: the app's own errors, HTTP
errors (422 and 400 with field messages, 405, 429 with ``Retry-After``), a lost database (503),
and anything unexpected (500, logged without the request's ids)."""

from __future__ import annotations

import logging

from flask import Flask, Response, request
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException

from server.errors import AppError, flatten_messages, problem, problem_of

log = logging.getLogger("server.errors")  # the name operators' log filters already use


_handle_app_error = problem_of


def _handle_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    headers = dict(error.get_headers()) if status in (405, 429) else {}
    headers.pop("Content-Type", None)
    if status == 422:
        errors = flatten_messages(data.get("messages", {}))
        return problem(
            422,
            "Unprocessable Content",
            "The request body or query is invalid.",
            slug="validation-error",
            errors=errors,
        )
    if status == 400 and data.get("messages"):
        errors = flatten_messages(data["messages"])
        return problem(
            400,
            "Bad Request",
            "The request could not be parsed.",
            slug="bad-request",
            errors=errors,
        )
    if status == 429:
        retry = getattr(error, "retry_after", None)
        # Flask-Limiter's RateLimitExceeded carries the limit: its window is a safe upper bound
        # (the limiter's own after_request hook refines it when rate-limit headers are on).
        window = getattr(getattr(error, "limit", None), "limit", None)
        if retry is None and window is not None:
            retry = window.get_expiry()
        if retry is not None:
            headers["Retry-After"] = str(int(retry))
    title = error.name or "Error"
    detail = data.get("message") or error.description or title
    return problem(status, title, str(detail), headers=headers)


def _handle_database_unavailable(error: Exception) -> Response:
    log.warning("database unavailable", extra={"error_class": type(error).__name__})
    return problem(
        503,
        "Service Unavailable",
        "The database is unavailable. Retry later; nothing was stored.",
        slug="database-unavailable",
        headers={"Retry-After": "5"},
    )


def _handle_unexpected(error: Exception) -> Response:
    if isinstance(error, HTTPException):
        return _handle_http_exception(error)
    if _is_connection_error(error):
        return _handle_database_unavailable(error)
    route = request.url_rule.rule if request.url_rule else "<unmatched>"  # no ids, unlike the path
    log.exception("unhandled error", extra={"route": route, "method": request.method})
    return problem(500, "Internal Server Error", "An unexpected error occurred.")


def _is_connection_error(error: Exception) -> bool:
    if isinstance(error, PoolTimeoutError):
        return True
    if isinstance(error, OperationalError | DBAPIError):
        return bool(getattr(error, "connection_invalidated", False)) or isinstance(
            error, OperationalError
        )
    return False


def register_error_handlers(app: Flask) -> None:
    """Route every exception through problem+json; registered after smorest's own handler."""
    app.register_error_handler(AppError, _handle_app_error)
    app.register_error_handler(HTTPException, _handle_http_exception)
    app.register_error_handler(Exception, _handle_unexpected)
