"""A real gunicorn on 127.0.0.1 from the repo's gunicorn.conf.py, and its workers' memory."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_get(port: int, path: str, timeout: float = 5) -> tuple[int, bytes]:
    """One GET to the local server."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def child_pids(pid: int) -> list[int]:
    """Direct children of ``pid`` (gunicorn's workers when ``pid`` is the master)."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces or parentheses: the ppid follows the last ')'.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            children.append(int(entry.name))
    return children


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` in MB (0 when it has gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class Gunicorn:
    """``gunicorn -c gunicorn.conf.py wsgi:app`` with the given environment (context manager)."""

    def __init__(self, env: dict[str, str], *, log_path: Path, start_timeout: float = 30):
        self.port = free_port()
        self.env = {**os.environ, **env, "HOST": "127.0.0.1", "PORT": str(self.port)}
        self.log_path = log_path
        self.start_timeout = start_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self._peak_rss = 0.0
        self._sampling = threading.Event()
        self._sampler: threading.Thread | None = None

    def __enter__(self) -> Gunicorn:
        if self.process is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Start the master and wait until /healthz answers 200 and every worker is up."""
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"gunicorn exited with {self.process.returncode}; see {self.log_path}"
                )
            try:
                if http_get(self.port, "/healthz", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        else:
            self.stop()
            raise RuntimeError(f"gunicorn did not become healthy; see {self.log_path}")
        # Let the remaining workers finish importing the app before anything is measured.
        expected = int(self.env.get("WEB_CONCURRENCY", "3"))  # gunicorn.conf.py default
        while time.monotonic() < deadline and len(self.workers()) < expected:
            time.sleep(0.1)
        time.sleep(0.5)

    def stop(self) -> None:
        """Graceful stop, then SIGKILL the process group if it lingers."""
        self.stop_sampling()
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        self.process = None
        self._log.close()

    def workers(self) -> list[int]:
        """The worker pids right now."""
        return child_pids(self.process.pid) if self.process else []

    def openapi_operations(self) -> set[tuple[str, str]]:
        """Every (METHOD, path) the running server documents."""
        status, body = http_get(self.port, "/api/v1/openapi.json")
        if status != 200:
            return set()
        paths = json.loads(body).get("paths", {})
        return {(method.upper(), path) for path, ops in paths.items() for method in ops}

    def start_sampling(self) -> None:
        """Sample every worker's RSS every 100 ms until ``stop_sampling``."""
        self._peak_rss = max((rss_mb(pid) for pid in self.workers()), default=0.0)
        self._sampling.set()

        def sample() -> None:
            while self._sampling.is_set():
                for pid in self.workers():
                    self._peak_rss = max(self._peak_rss, rss_mb(pid))
                time.sleep(0.1)

        self._sampler = threading.Thread(target=sample, daemon=True)
        self._sampler.start()

    def stop_sampling(self) -> float:
        """Stop sampling; return the peak RSS of any single worker in MB."""
        self._sampling.clear()
        if self._sampler is not None:
            self._sampler.join(timeout=2)
            self._sampler = None
        return self._peak_rss

    def run_load(self, spec: dict[str, Any], spec_path: Path) -> dict[str, Any]:
        """Drive ``spec`` from a separate load-generator process; return figures and peak RSS."""
        spec = {"host": "127.0.0.1", "port": self.port, **spec}
        spec_path.write_text(json.dumps(spec), encoding="utf-8")
        limit = spec.get("warmup", 1) + spec.get("duration", 4) + spec.get("timeout", 30) + 15
        self.start_sampling()
        try:
            done = subprocess.run(
                [sys.executable, "-m", "bench.load", str(spec_path)],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=limit,
                check=False,
            )
        finally:
            peak = self.stop_sampling()
        if done.returncode != 0:
            raise RuntimeError(f"load generator failed: {done.stderr[-2000:]}")
        result = json.loads(done.stdout.strip().splitlines()[-1])
        result["peak_rss_mb"] = peak
        return result
