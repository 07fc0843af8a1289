"""Issue 20 item 3: slow clients cannot stop the API.

With the repo's nginx configuration in front of gunicorn (the production front), and without it
(``make run``'s gthread workers, where each client gets only its share of body reads), a
50-connection slow-body attack on ``/auth/login`` leaves ``/healthz`` answering, p99 under 1 s.
Run with ``-s`` to see the figures.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from server.devserver import DIRECT_SERVING
from tests.conftest import IN_CI
from tests.robustness.conftest import ROOT, GunicornProcess, free_port
from tests.robustness.slow_clients import percentile, summary, under_attack

pytestmark = pytest.mark.slow
SITE = ROOT / "deploy" / "nginx" / "hep-tracker.conf"
P99_LIMIT = 1.0


def nginx_binary() -> str:
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if found is None:
        message = "nginx is not installed (make test installs Debian's nginx-light)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return found


def nginx_conf(tmp: Path, listen_port: int, upstream_port: int) -> Path:
    """The repo's site file, pointed at this test's gunicorn and port, in a minimal nginx.conf
    that keeps every file under ``tmp``."""
    site = SITE.read_text()
    assert "server 127.0.0.1:8000;" in site
    assert "listen 80;" in site
    site = site.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream_port};")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{listen_port};")
    (tmp / "site.conf").write_text(site)
    for folder in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp / folder).mkdir(exist_ok=True)
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf = tmp / "nginx.conf"
    conf.write_text(
        f"{user}daemon off;\nworker_processes 1;\npid {tmp}/nginx.pid;\n"
        f"error_log {tmp}/error.log warn;\n"
        "events { worker_connections 1024; }\n"
        "http {\n  access_log off;\n"
        f"  client_body_temp_path {tmp}/body;\n  proxy_temp_path {tmp}/proxy;\n"
        f"  fastcgi_temp_path {tmp}/fastcgi;\n  uwsgi_temp_path {tmp}/uwsgi;\n"
        f"  scgi_temp_path {tmp}/scgi;\n  include {tmp}/site.conf;\n}}\n"
    )
    return conf


@pytest.fixture
def nginx_front(tmp_path: Path) -> Iterator[Callable[[int], int]]:
    """``start(upstream_port)`` → the port of nginx running the repo's config."""
    binary = nginx_binary()
    processes: list[subprocess.Popen[bytes]] = []

    def start(upstream_port: int) -> int:
        port = free_port()
        folder = tmp_path / "nginx"
        folder.mkdir()
        conf = nginx_conf(folder, port, upstream_port)
        check = subprocess.run(
            [binary, "-t", "-p", str(folder), "-c", str(conf)], capture_output=True, check=False
        )
        assert check.returncode == 0, check.stderr.decode()
        process = subprocess.Popen(
            [binary, "-p", str(folder), "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        processes.append(process)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            assert process.poll() is None, (folder / "error.log").read_text()
            try:
                import socket

                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return port
            except OSError:
                time.sleep(0.05)
        raise AssertionError("nginx did not start")

    yield start
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGQUIT)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture(params=["sqlite", "postgresql"])
def api(
    request: pytest.FixtureRequest, tmp_path: Path, dedicated_database: Callable[[str], str]
) -> Iterator[Callable[..., GunicornProcess]]:
    """gunicorn on an empty database of each backend (``/healthz`` pings it)."""
    database_url = dedicated_database(request.param)
    started: list[GunicornProcess] = []

    def start(**env: str) -> GunicornProcess:
        server = GunicornProcess(database_url, tmp_path / "gunicorn.log", **env)
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.kill()


def test_behind_nginx_a_slow_body_attack_leaves_healthz_p99_under_a_second(
    api: Callable[..., GunicornProcess], nginx_front: Callable[[int], int]
) -> None:
    gunicorn = api(WEB_CONCURRENCY="3", TRUSTED_PROXIES="1")  # the production defaults: sync
    port = nginx_front(gunicorn.port)
    latencies, report = under_attack(port)
    print("\n" + summary("nginx in front of 3 sync workers", latencies, report))
    assert report.connections_opened >= 50
    assert percentile(latencies, 0.99) < P99_LIMIT


def test_without_a_proxy_one_client_cannot_hold_every_worker(
    api: Callable[..., GunicornProcess],
) -> None:
    """``make run``'s settings: gthread workers, and each client address gets at most
    BODY_READS_PER_CLIENT body reads per worker; the rest of its sockets are answered 503."""
    gunicorn = api(WEB_CONCURRENCY="3", **DIRECT_SERVING)
    latencies, report = under_attack(gunicorn.port)
    print("\n" + summary("gunicorn alone, make run's gthread workers", latencies, report))
    assert report.answered.get(503, 0) > 0  # the attacker's sockets beyond its share
    assert percentile(latencies, 0.99) < P99_LIMIT
