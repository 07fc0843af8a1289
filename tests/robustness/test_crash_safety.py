"""Crash safety: SIGKILL the API server mid-stream; every acknowledged record is kept once."""

from __future__ import annotations

import http.client
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from tests.robustness.conftest import (
    GunicornProcess,
    count_rows,
    create_schema_and_seed,
    require_operation,
    robust_app,
)

PATH = "/api/v1/me/pain-ratings"
CLIENTS = 4
ACKED_BEFORE_KILL = 40


def _pain_rating() -> dict[str, object]:
    return {
        "id": str(uuid.uuid4()),
        "recorded_at": datetime.now(UTC).isoformat(),
        "score": 4,
        "context": "now",
    }


def _stream(
    server: GunicornProcess,
    headers: dict[str, str],
    stop: threading.Event,
    sent: dict[str, dict[str, object]],
    acked: set[str],
    unexpected: list[int],
) -> None:
    """Post fresh ratings back to back until told to stop; remember which were acknowledged."""
    deadline = time.monotonic() + 30  # bounded even if the test forgets to stop it
    while not stop.is_set() and time.monotonic() < deadline:
        body = _pain_rating()
        sent[body["id"]] = body
        try:
            status, _ = server.request("POST", PATH, body, headers, timeout=5)
        except (OSError, http.client.HTTPException):
            # Refused, reset, or killed between the status line and the body: the client
            # never saw an acknowledgement, so the record counts as not acknowledged.
            time.sleep(0.05)
            continue
        if 200 <= status < 300:
            acked.add(body["id"])
        else:
            unexpected.append(status)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_every_acknowledged_record_survives_sigkill_and_none_is_stored_twice(
    backend: str,
    dedicated_database: Callable[[str], str],
    gunicorn_factory: Callable[..., GunicornProcess],
) -> None:
    url = dedicated_database(backend)
    app = robust_app(url)
    seeded = create_schema_and_seed(app)
    require_operation(app, "POST", PATH)
    headers = {"Authorization": f"Bearer {seeded.patient_token}"}
    server = gunicorn_factory(url)

    sent: dict[str, dict[str, object]] = {}
    acked: set[str] = set()
    unexpected: list[int] = []
    stop = threading.Event()
    clients = [
        threading.Thread(target=_stream, args=(server, headers, stop, sent, acked, unexpected))
        for _ in range(CLIENTS)
    ]
    for client in clients:
        client.start()
    deadline = time.monotonic() + 20
    while len(acked) < ACKED_BEFORE_KILL and time.monotonic() < deadline and not unexpected:
        time.sleep(0.01)
    server.kill()  # while the clients are still sending
    time.sleep(0.3)  # let every client see the dead server at least once
    stop.set()
    for client in clients:
        client.join(timeout=15)
    assert not unexpected, f"non-2xx answers before the crash: {unexpected[:10]}"
    assert len(acked) >= ACKED_BEFORE_KILL
    not_acked = [i for i in sent if i not in acked]
    assert not_acked, "every client retries after the kill, so some posts went unanswered"

    restarted = gunicorn_factory(url)
    stored = count_rows(url, "pain_ratings")
    assert {i: stored.get(i, 0) for i in acked} == dict.fromkeys(acked, 1)
    assert set(stored) <= set(sent)

    # The phone retries what it never saw acknowledged: created now, or an identical replay.
    for record_id in not_acked:
        status, body = restarted.request("POST", PATH, sent[record_id], headers)
        assert status in (200, 201), (status, body[:300])
    assert count_rows(url, "pain_ratings") == dict.fromkeys(sent, 1)
