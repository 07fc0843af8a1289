"""A slow-body attack and a /healthz probe, both on loopback and bounded in time.

The attack comes from 127.0.0.2 (still loopback), the probe from 127.0.0.1, so that per-address
rules (nginx's ``limit_conn``, the API's per-client share of body reads) treat them as the two
different clients they stand for.
"""

from __future__ import annotations

import http.client
import selectors
import socket
import threading
import time
from dataclasses import dataclass, field

ATTACKER_ADDRESS = "127.0.0.2"
BODY = b'{"email": "slow@attack.example", "password": "' + b"x" * 3000 + b'"}'


@dataclass
class AttackReport:
    connections_opened: int = 0
    answered: dict[int, int] = field(default_factory=dict)  # status → count


def _open(port: int) -> socket.socket:
    sock = socket.socket()
    sock.bind((ATTACKER_ADDRESS, 0))
    sock.settimeout(2)
    sock.connect(("127.0.0.1", port))
    head = (
        "POST /api/v1/auth/login HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(BODY)}\r\n\r\n"
    ).encode()
    sock.sendall(head + BODY[:1])
    sock.setblocking(False)
    return sock


def slow_body_attack(
    port: int, stop: threading.Event, report: AttackReport, sockets: int = 50
) -> None:
    """Keep ``sockets`` connections each sending a login body one byte every half second;
    a connection the server answers or closes is opened again at the next half second, until
    ``stop``."""
    selector = selectors.DefaultSelector()
    sent: dict[socket.socket, int] = {}

    def open_one() -> None:
        try:
            sock = _open(port)
        except OSError:
            return
        report.connections_opened += 1
        sent[sock] = 1
        selector.register(sock, selectors.EVENT_READ)

    def drop(sock: socket.socket) -> None:
        selector.unregister(sock)
        sent.pop(sock, None)
        sock.close()

    for _ in range(sockets):
        open_one()
    next_trickle = time.monotonic() + 0.5
    while not stop.is_set():
        for key, _ in selector.select(timeout=0.05):
            sock = key.fileobj
            try:
                data = sock.recv(4096)
            except OSError:
                data = b""
            if data.startswith(b"HTTP/1."):
                status = int(data.split()[1])
                report.answered[status] = report.answered.get(status, 0) + 1
            drop(sock)
        if time.monotonic() >= next_trickle:
            next_trickle += 0.5
            for sock, done in list(sent.items()):
                if done < len(BODY) - 1:  # never finish the body
                    try:
                        sock.send(BODY[done : done + 1])
                        sent[sock] = done + 1
                    except OSError:
                        drop(sock)
            while len(sent) < sockets and not stop.is_set():  # answered ones come back
                open_one()
    for sock in list(sent):
        drop(sock)
    selector.close()


def probe_health(port: int, seconds: float, timeout: float = 5.0) -> list[float]:
    """GET /healthz on a fresh connection every 50 ms for ``seconds``: each one's latency
    (a failure or a timeout counts as ``timeout``)."""
    latencies = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            response.read()
            ok = response.status == 200
        except OSError:
            ok = False
        finally:
            connection.close()
        latencies.append(time.monotonic() - started if ok else timeout)
        time.sleep(0.05)
    return latencies


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def under_attack(port: int, *, attack_port: int | None = None, seconds: float = 6.0):
    """Probe /healthz on ``port`` while 50 slow-body connections hit ``attack_port`` (default
    the same): the probe's latencies and what the attackers were answered."""
    stop, report = threading.Event(), AttackReport()
    attacker = threading.Thread(
        target=slow_body_attack, args=(attack_port or port, stop, report), daemon=True
    )
    attacker.start()
    try:
        time.sleep(1.5)  # every attacking connection is open and sending
        latencies = probe_health(port, seconds)
    finally:
        stop.set()
        attacker.join(timeout=10)
    return latencies, report


def summary(name: str, latencies: list[float], report: AttackReport) -> str:
    return (
        f"{name}: /healthz under a 50-connection slow-body attack: {len(latencies)} probes, "
        f"p50 {percentile(latencies, 0.5) * 1000:.1f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms, "
        f"max {max(latencies) * 1000:.1f} ms; attacker connections opened "
        f"{report.connections_opened}, answered {dict(sorted(report.answered.items()))}"
    )


def main(argv: list[str]) -> None:
    """``python -m tests.robustness.slow_clients [NAME=VALUE …]``: the attack against gunicorn
    alone, started with the repo's config and these settings, on a throwaway SQLite file (how
    the README's "before" rows were measured, e.g. ``GUNICORN_WORKER_CLASS=sync``)."""
    import tempfile
    from pathlib import Path

    from tests.robustness.conftest import GunicornProcess

    settings = dict(arg.split("=", 1) for arg in argv)
    folder = Path(tempfile.mkdtemp())
    server = GunicornProcess(f"sqlite:///{folder / 'slow.db'}", folder / "gunicorn.log", **settings)
    server.start()
    try:
        latencies, report = under_attack(server.port)
        print(summary(f"gunicorn alone, {settings or 'repo defaults'}", latencies, report))
    finally:
        server.kill()


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
