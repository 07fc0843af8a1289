"""Database outage: 503 problem+json quickly (never 500, never a hang), then recovery by itself.

The app talks to the shared PostgreSQL server through a loopback proxy the test controls, so the
server itself is never stopped (other tests use it in parallel).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from server.bench_refs import bench_metadata
from server.extensions import db
from tests.robustness.conftest import create_schema_and_seed, documented, robust_app
from tests.robustness.proxy import TcpProxy

PROBLEM = "application/problem+json"
CONNECT_TIMEOUT = 3  # server/config.py's default DATABASE_CONNECT_TIMEOUT
REFUSED_BUDGET = 2.0  # seconds: a refused connection must fail fast
BLACKHOLE_BUDGET = CONNECT_TIMEOUT + 2.0  # an unanswered one within the connect timeout


def _pain_rating() -> dict[str, Any]:
    now = datetime.now(UTC).isoformat()
    return {"id": str(uuid.uuid4()), "recorded_at": now, "score": 3, "context": "now"}


def _writes(app: Flask, patient_token: str) -> list[tuple[str, Callable[[], dict[str, Any]], dict]]:
    """The write endpoints to probe: the bare-insert reference plus the real ones that exist."""
    available = documented(app)
    patient = {"Authorization": f"Bearer {patient_token}"}
    writes: list[tuple[str, Callable[[], dict[str, Any]], dict]] = [
        ("/bench/bare-insert", _pain_rating, {})
    ]
    if ("POST", "/api/v1/me/pain-ratings") in available:
        writes.append(("/api/v1/me/pain-ratings", _pain_rating, patient))
    if ("POST", "/api/v1/me/sync") in available:
        writes.append(
            (
                "/api/v1/me/sync",
                lambda: {"items": [{"kind": "pain_rating", "data": _pain_rating()}]},
                patient,
            )
        )
    if ("POST", "/api/v1/auth/login") in available:
        writes.append(
            (
                "/api/v1/auth/login",
                lambda: {"email": "p@robust.example", "password": "not-the-password"},
                {},
            )
        )
    return writes


def _timed(call: Callable[[], Any]) -> tuple[Any, float]:
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def _assert_unavailable(client: FlaskClient, writes: list, budget: float) -> None:
    response, elapsed = _timed(lambda: client.get("/healthz"))
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.content_type == PROBLEM
    assert elapsed < budget, f"/healthz took {elapsed:.1f}s"
    for path, body, headers in writes:
        response, elapsed = _timed(
            lambda p=path, b=body, h=headers: client.post(p, json=b(), headers=h)
        )
        assert response.status_code == 503, (path, response.status_code, response.get_data()[:300])
        assert response.content_type == PROBLEM
        assert response.json["status"] == 503
        assert elapsed < budget, f"{path} took {elapsed:.1f}s"


def _assert_available(client: FlaskClient, writes: list) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200, response.get_data(as_text=True)
    for path, body, headers in writes:
        response = client.post(path, json=body(), headers=headers)
        assert response.status_code < 500, (path, response.status_code, response.get_data()[:300])


@pytest.mark.slow
def test_outage_answers_503_quickly_and_service_recovers_by_itself(
    dedicated_database: Callable[[str], str],
) -> None:
    url = dedicated_database("postgresql")
    host_port = url.split("@", 1)[1].split("/", 1)[0]
    host, _, port = host_port.partition(":")
    with TcpProxy((host, int(port or 5432))) as proxy:
        app = robust_app(url.replace(host_port, f"127.0.0.1:{proxy.port}"), BENCH_REFERENCES=True)
        seeded = create_schema_and_seed(app)
        with app.app_context():
            bench_metadata.create_all(db.engine)
        client = app.test_client()
        writes = _writes(app, seeded.patient_token)
        try:
            _assert_available(client, writes)

            proxy.down()  # the database stopped: open connections die, new ones are refused
            _assert_unavailable(client, writes, REFUSED_BUDGET)

            proxy.blackhole()  # unreachable: connections are accepted but never answered
            _assert_unavailable(client, writes[:1], BLACKHOLE_BUDGET)

            proxy.up()  # back: the very next requests work, without a restart
            _assert_available(client, writes)
        finally:
            with app.app_context():
                db.engine.dispose()
