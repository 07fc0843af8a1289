"""Issue 20 item 9: every log line keeps the policy. gunicorn's, Alembic's and APScheduler's
lines go through the app's JSON formatter and redaction; gunicorn's request targets lose their
ids and query strings; APScheduler's per-run chatter is at debug."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from server.logs import scrub_request_targets
from tests.conftest import make_test_app
from tests.robustness.conftest import ROOT, GunicornProcess

PATIENT_ID = str(uuid.uuid4())


def _json_lines(text: str) -> list[dict]:
    lines = [line for line in text.splitlines() if line.strip()]
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except ValueError:
            pytest.fail(f"a log line that is not JSON: {line!r}")
    return parsed


@pytest.mark.slow
def test_gunicorns_own_lines_are_json_without_ids_or_query_strings(tmp_path: Path) -> None:
    server = GunicornProcess(f"sqlite:///{tmp_path / 'g.db'}", tmp_path / "gunicorn.log")
    server.start()
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            target = f"/api/v1/patients/{PATIENT_ID}?email=ayse@mail.example"
            sock.sendall(f"GET {target} HTTP/1.1 extra\r\nHost: x\r\n\r\n".encode())
            assert sock.recv(1024).startswith(b"HTTP/1.1 400")
    finally:
        server.stop()
    text = (tmp_path / "gunicorn.log").read_text()
    lines = _json_lines(text)
    assert any("Invalid request" in line["message"] for line in lines), text
    assert any(line["name"] == "gunicorn.error" for line in lines)
    assert PATIENT_ID not in text
    assert "ayse@mail.example" not in text


def test_request_targets_are_scrubbed_of_ids_and_queries() -> None:
    message = f"Error handling request GET /api/v1/patients/{PATIENT_ID}/flags/42?x=1&y=2"
    assert scrub_request_targets(message) == (
        "Error handling request GET /api/v1/patients/<id>/flags/<id>?<query>"
    )


@pytest.mark.slow
def test_alembic_lines_are_json(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "HEP_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'migrated.db'}",
        "LOG_LEVEL": "INFO",
        "FLASK_APP": "wsgi.py",
    }
    flask = str(Path(sys.executable).parent / "flask")
    done = subprocess.run(
        [flask, "db", "upgrade"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = _json_lines(done.stderr + done.stdout)
    assert any(line["name"].startswith("alembic") for line in lines)


def test_apscheduler_per_run_chatter_is_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    make_test_app("sqlite://", LOG_LEVEL="INFO")
    executor = logging.getLogger("apscheduler.executors.default")
    with caplog.at_level(logging.INFO):
        executor.info('Running job "flags.sweep" (scheduled at 2026-06-01 06:00:00+00:00)')
        executor.warning("Run time of job was missed by 0:00:31")
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("apscheduler")]
    assert messages == ["Run time of job was missed by 0:00:31"]
    with caplog.at_level(logging.DEBUG):
        logging.getLogger().setLevel(logging.DEBUG)
        executor.info('Job "flags.sweep" executed successfully')
    debug = [r for r in caplog.records if "executed successfully" in r.getMessage()]
    assert [r.levelname for r in debug] == ["DEBUG"]
