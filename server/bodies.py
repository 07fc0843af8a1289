"""Slow request bodies cannot hold the API's workers: a body is read whole, within a deadline,
before the app runs, and no client address has more than a few bodies being read at once in a
worker process.

Behind nginx (``deploy/nginx/``) bodies arrive whole and this costs nothing. Without a proxy
(``make run``, gthread workers) it is what keeps one client with many slow sockets from taking
every thread: over its share it is answered 503 at once, without a byte of its body read, and a
body still incomplete at the deadline is answered 408. Only requests served by gunicorn (which
hands over its socket) are guarded.
"""

from __future__ import annotations

import contextlib
import io
import os
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
CHUNK = 64 * 1024


class _Watchdog:
    """One thread per process that shuts the read side of sockets whose deadline has passed, so
    a read blocked on a trickling client returns at once (a socket timeout bounds each recv,
    not the whole body)."""

    def __init__(self, tick: float = 0.1) -> None:
        self._tick = tick
        self._lock = threading.Lock()
        self._deadlines: dict[int, tuple[float, socket.socket]] = {}
        self._pid: int | None = None

    def watch(self, sock: socket.socket, deadline: float) -> int:
        with self._lock:
            if self._pid != os.getpid():  # started lazily in each forked worker
                self._pid = os.getpid()
                self._deadlines.clear()
                threading.Thread(target=self._run, name="body-deadlines", daemon=True).start()
            key = id(sock)
            self._deadlines[key] = (deadline, sock)
            return key

    def forget(self, key: int) -> None:
        with self._lock:
            self._deadlines.pop(key, None)

    def _run(self) -> None:
        while True:
            time.sleep(self._tick)
            now = time.monotonic()
            with self._lock:
                expired = [k for k, (deadline, _) in self._deadlines.items() if deadline <= now]
                socks = [self._deadlines.pop(k)[1] for k in expired]
            for sock in socks:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RD)


_WATCHDOG = _Watchdog()


class BodyReadGuard:
    """WSGI middleware: read each request body within ``deadline`` seconds, at most
    ``per_client`` at once per client address and process, at most ``limit`` + 1 bytes (the
    app refuses what is over its limit)."""

    def __init__(self, app: WSGIApp, *, deadline: float, per_client: int, limit: int) -> None:
        self.app = app
        self.deadline = deadline
        self.per_client = per_client
        self.limit = limit
        self._reading: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        sock = environ.get("gunicorn.socket")
        chunked = environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked"
        declared = _declared_length(environ)
        if sock is None or (not chunked and (declared is None or declared > self.limit)):
            return self.app(environ, start_response)  # no body, or refused before reading
        client = environ.get("REMOTE_ADDR") or "?"
        with self._lock:
            if self._reading[client] >= self.per_client:
                return _refuse(start_response, "503 Service Unavailable", TOO_MANY)
            self._reading[client] += 1
        try:
            body = self._read(environ, sock, declared if not chunked else self.limit + 1)
        finally:
            with self._lock:
                self._reading[client] -= 1
                if not self._reading[client]:
                    del self._reading[client]
        if body is None or (not chunked and len(body) < (declared or 0)):
            return _refuse(start_response, "408 Request Timeout", TOO_SLOW)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        environ["wsgi.input_terminated"] = False
        return self.app(environ, start_response)

    def _read(self, environ: dict[str, Any], sock: socket.socket, most: int) -> bytes | None:
        stream = environ["wsgi.input"]
        key = _WATCHDOG.watch(sock, time.monotonic() + self.deadline)
        chunks, total = [], 0
        try:
            while total < most:
                chunk = stream.read(min(CHUNK, most - total))
                if not chunk:
                    break
                chunks.append(chunk)
                total += len(chunk)
        except Exception:  # a socket error, or gunicorn's own for a body cut short
            return None
        finally:
            _WATCHDOG.forget(key)
        return b"".join(chunks)


TOO_MANY = b"Too many requests from this address are still sending their bodies."
TOO_SLOW = b"The request body did not arrive in time."


def _declared_length(environ: dict[str, Any]) -> int | None:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    return length if length > 0 else None


def _refuse(start_response: Callable[..., Any], status: str, detail: bytes) -> list[bytes]:
    """A problem+json answer that closes the connection (the rest of the body is never read)."""
    code, _, title = status.partition(" ")
    body = (
        b'{"type":"/problems/slow-client","title":"'
        + title.encode()
        + b'","status":'
        + code.encode()
        + b',"detail":"'
        + detail
        + b'"}'
    )
    headers = [
        ("Content-Type", "application/problem+json"),
        ("Content-Length", str(len(body))),
        ("Connection", "close"),
        ("Retry-After", "5"),
    ]
    start_response(status, headers)
    return [body]
