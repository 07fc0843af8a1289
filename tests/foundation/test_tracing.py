"""Issue 25, tracing the request: an ``X-Request-ID`` is accepted when well formed or replaced,
echoed on every response, and on every log line written while handling the request; each
scheduler job run has its own id on its lines."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import datetime

import pytest
from flask import Flask

from server.access import PUBLIC, allow
from server.extensions import db
from server.scheduler import run_job
from tests.conftest import make_test_app

HEADER = "X-Request-ID"


@pytest.fixture
def log_lines(app: Flask) -> Iterator[tuple[Flask, io.StringIO]]:
    """An app logging at INFO, its JSON lines captured from the app's own handler."""
    logging_app = make_test_app(app.config["SQLALCHEMY_DATABASE_URI"], LOG_LEVEL="INFO")

    @logging_app.get("/test-logs-a-line")
    @allow(PUBLIC)
    def _logs_a_line():
        logging.getLogger("server.test").info("handled", extra={"step": "view"})
        return {"ok": True}

    handler = next(h for h in logging.getLogger().handlers if getattr(h, "hep_handler", False))
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        yield logging_app, stream
    finally:
        handler.setStream(previous)
        logging.getLogger().setLevel(logging.WARNING)
        with logging_app.app_context():
            db.engine.dispose()


def _parsed(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_a_well_formed_id_round_trips_and_is_on_every_line_of_its_request(log_lines) -> None:
    app, stream = log_lines
    client = app.test_client()
    response = client.get("/test-logs-a-line", headers={HEADER: "edge-7f3a.91_B"})
    assert response.status_code == 200
    assert response.headers[HEADER] == "edge-7f3a.91_B"
    lines = _parsed(stream)
    assert {line["message"] for line in lines} >= {"handled", "request"}
    assert all(line.get("request_id") == "edge-7f3a.91_B" for line in lines), lines

    logging.getLogger("server.test").warning("outside any request")
    outside = _parsed(stream)[-1]
    assert outside["message"] == "outside any request"
    assert "request_id" not in outside


def test_an_id_is_generated_when_absent_and_differs_per_request(log_lines) -> None:
    app, stream = log_lines
    client = app.test_client()
    first = client.get("/livez").headers[HEADER]
    second = client.get("/livez").headers[HEADER]
    assert len(first) == 32
    assert int(first, 16) >= 0  # hex
    assert first != second
    ids = [line["request_id"] for line in _parsed(stream) if line["message"] == "request"]
    assert ids == [first, second]


@pytest.mark.parametrize(
    "offered",
    [
        "has space",
        "x" * 129,
        'quote"d',
        "new\\nline",
        "",
        "é",
        '{"message": "forged"}',
    ],
)
def test_a_malformed_id_is_replaced_never_echoed(log_lines, offered: str) -> None:
    app, stream = log_lines
    response = app.test_client().get("/test-logs-a-line", headers={HEADER: offered})
    echoed = response.headers[HEADER]
    assert echoed != offered
    assert len(echoed) == 32
    lines = _parsed(stream)
    assert all(line["request_id"] == echoed for line in lines)
    if offered:
        assert offered not in stream.getvalue()


def test_error_responses_carry_the_id_too(client) -> None:
    missing = client.get("/api/v1/nothing-here", headers={HEADER: "abc-123"})
    assert missing.status_code == 404
    assert missing.headers[HEADER] == "abc-123"
    unauthorized = client.get("/api/v1/me")
    assert unauthorized.status_code == 401
    assert len(unauthorized.headers[HEADER]) == 32


def failing_job(now: datetime) -> None:
    logging.getLogger("server.test").info("job working")
    raise RuntimeError("the job broke")


def test_every_line_of_a_job_run_carries_the_job_and_its_run_id(log_lines) -> None:
    app, stream = log_lines
    for _ in range(2):
        run_job(app, "test.failing", "tests.foundation.test_tracing:failing_job")
    lines = [line for line in _parsed(stream) if line.get("job_id") == "test.failing"]
    assert [line["message"] for line in lines] == ["job working", "scheduled job failed"] * 2
    runs = [line["job_run_id"] for line in lines]
    assert runs[0] == runs[1] != runs[2] == runs[3]
    assert all("request_id" not in line for line in lines)
