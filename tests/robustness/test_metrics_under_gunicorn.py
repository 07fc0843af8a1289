"""Issue 25: ``/metrics`` is right under gunicorn's several workers (prometheus_client's
multiprocess mode): whichever worker answers, it counts every request any worker answered,
including workers that have since been recycled."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.robustness.conftest import GunicornProcess, create_schema_and_seed, robust_app

REQUESTS = 24


def _samples(text: str) -> list:
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_every_workers_requests_are_counted_whichever_worker_answers(
    backend: str,
    tmp_path: Path,
    dedicated_database: Callable[[str], str],
    gunicorn_factory: Callable[..., GunicornProcess],
) -> None:
    url = dedicated_database(backend)
    create_schema_and_seed(robust_app(url))
    shared = tmp_path / "metrics"
    shared.mkdir()
    # Two workers, each recycled after 5 requests: the answers come from several processes.
    server = gunicorn_factory(url, GUNICORN_MAX_REQUESTS="5", PROMETHEUS_MULTIPROC_DIR=str(shared))
    for _ in range(REQUESTS):
        assert server.request("GET", "/livez")[0] == 200
    for _ in range(3):
        status, body = server.request("GET", "/metrics")
        assert status == 200, body[:300]
        samples = _samples(body.decode())
        livez = {
            s.name: s.value
            for s in samples
            if s.labels.get("route") == "/livez" and "le" not in s.labels
        }
        assert livez["hep_http_requests_total"] == REQUESTS
        assert livez["hep_http_request_duration_seconds_count"] == REQUESTS
        assert not any("pid" in s.labels for s in samples)
        pool = [s for s in samples if s.name == "hep_db_pool_connections_in_use"]
        assert len(pool) == 1
        assert pool[0].value >= 0
    writers = {path.stem.rsplit("_", 1)[1] for path in shared.glob("counter_*.db")}
    assert len(writers) >= 3, writers  # recycled workers' counts stayed in the sum
    server.stop()
    assert "Traceback" not in server.log_path.read_text()
