"""The cluster's processes: gunicorn masters, scheduler processes and a push receiver."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench.server import BIN, ROOT, Gunicorn, free_port


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL ``process`` and everything in its process group, and reap it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


class ApiServer(Gunicorn):
    """One gunicorn master on its own loopback port, which can be killed and started again."""

    def kill(self) -> None:
        """SIGKILL the master and its workers at once (a machine lost), keeping the port."""
        if self.process is not None:
            kill_group(self.process)
            self.process = None
            self._log.close()


class Scheduler:
    """One ``flask scheduler run`` process."""

    def __init__(self, env: dict[str, str], *, log_path: Path):
        self.env = {**os.environ, **env}
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [str(BIN / "flask"), "scheduler", "run"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL, mid-tick if it is in one."""
        if self.process is not None:
            kill_group(self.process)
            self.process = None

    def stop(self) -> None:
        """SIGTERM and wait; SIGKILL if it lingers."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                kill_group(self.process)
        self.process = None


class PushReceiver:
    """The push provider's far end (a webhook): records every delivery it is sent."""

    def __init__(self) -> None:
        self.port = free_port()
        self.lock = threading.Lock()
        self.deliveries: list[tuple[str, str]] = []  # (delivery id, notification id)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                document: dict[str, Any] = json.loads(body or b"{}")
                notification = str(document.get("data", {}).get("notification_id", ""))
                with receiver.lock:
                    receiver.deliveries.append(
                        (self.headers.get("X-HEP-Delivery", ""), notification)
                    )
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/push"

    def __enter__(self) -> PushReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def repeated(self) -> tuple[int, int]:
        """How many delivery ids, and how many reminder occurrences, arrived more than once."""
        with self.lock:
            by_delivery = Counter(d for d, _ in self.deliveries)
            by_notification = Counter(n for _, n in self.deliveries if n)
        return (
            sum(1 for n in by_delivery.values() if n > 1),
            sum(1 for n in by_notification.values() if n > 1),
        )


def wait_until(check: Any, timeout: float, step: float = 0.5) -> bool:
    """Poll ``check()`` until it is true or ``timeout`` seconds pass; returns the last answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(step)
    return bool(check())
