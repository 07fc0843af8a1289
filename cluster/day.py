"""The load generator: a clinic day of phones talking to two API servers, retrying as phones do.

Each request goes to one of the two ports at random. A request that gets no answer (refused,
reset, timed out) or a 5xx is sent again, the same body with the same client id, to the other
port: what a phone behind a load balancer sees when one machine dies. Every record's id is
remembered with whether some answer acknowledged it (2xx).
"""

from __future__ import annotations

import http.client
import json
import random
import socket
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from cluster.seed import PASSWORD, Patient

ATTEMPTS = 4
TIMEOUT = 15.0
TABLES = {
    "pain_rating": "pain_ratings",
    "session_log": "session_logs",
    "posture_break": "posture_breaks",
}


@dataclass
class Traffic:
    """What the phones sent and what they were answered (shared by every thread)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    errors: list[tuple[float, str]] = field(default_factory=list)  # (monotonic time, kind)
    records: dict[str, tuple[str, bool]] = field(default_factory=dict)  # id -> (kind, acked)
    retried_on_purpose: int = 0

    def answered(self, status: int) -> None:
        with self.lock:
            self.requests += 1
            self.statuses[status] += 1
            if status >= 500:
                self.errors.append((time.monotonic(), f"HTTP {status}"))

    def failed(self, kind: str) -> None:
        with self.lock:
            self.requests += 1
            self.errors.append((time.monotonic(), kind))

    def sent(self, record_id: str, kind: str, acknowledged: bool) -> None:
        with self.lock:
            _, before = self.records.get(record_id, (kind, False))
            self.records[record_id] = (kind, before or acknowledged)


def _error_kind(error: BaseException) -> str:
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, (ConnectionResetError, http.client.RemoteDisconnected, BrokenPipeError)):
        return "connection reset"
    if isinstance(error, (TimeoutError, socket.timeout)):
        return "timeout"
    return type(error).__name__


class Phone:
    """One thread's HTTP client over both ports."""

    def __init__(self, ports: list[int], traffic: Traffic, rng: random.Random):
        self.ports, self.traffic, self.rng = ports, traffic, rng

    def call(
        self, method: str, path: str, token: str | None = None, body: Any = None
    ) -> tuple[int | None, Any]:
        """Send until some port answers below 500 (or ATTEMPTS run out); (status, JSON)."""
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        payload = json.dumps(body).encode() if body is not None else None
        port = self.rng.choice(self.ports)
        status: int | None = None
        document: Any = None
        for attempt in range(ATTEMPTS):
            if attempt:
                port = next(p for p in self.ports if p != port)
                time.sleep(0.2 * attempt)
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
            try:
                connection.request(method, path, body=payload, headers=headers)
                response = connection.getresponse()
                raw = response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as error:
                self.traffic.failed(_error_kind(error))
                continue
            finally:
                connection.close()
            self.traffic.answered(status)
            document = json.loads(raw) if raw and raw[:1] in b"[{" else None
            if status < 500:
                break
        return status, document


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _post_record(phone: Phone, token: str, kind: str, path: str, body: dict[str, Any]) -> None:
    status, _ = phone.call("POST", path, token, body)
    phone.traffic.sent(body["id"], kind, status is not None and 200 <= status < 300)


def play_patient(phone: Phone, patient: Patient, today: date, *, login: bool) -> None:
    """One patient's day: perhaps a login, the plan, a pain rating, a session log, a sync."""
    rng = phone.rng
    token = patient.token
    if login:
        body = {"email": patient.email, "password": PASSWORD}
        status, document = phone.call("POST", "/api/v1/auth/login", body=body)
        if status == 200 and document:
            token = document["access_token"]
    phone.call("GET", "/api/v1/me/plan", token)
    # One patient in eight has a bad morning: the flag engine has something to raise.
    score = rng.choice((8, 9)) if rng.random() < 0.125 else rng.randint(0, 5)
    pain = {"id": str(uuid.uuid4()), "recorded_at": _now(), "score": score, "context": "morning"}
    _post_record(phone, token, "pain_rating", "/api/v1/me/pain-ratings", pain)
    if rng.random() < 0.2:  # the phone lost the answer and sends the same record again
        with phone.traffic.lock:
            phone.traffic.retried_on_purpose += 1
        _post_record(phone, token, "pain_rating", "/api/v1/me/pain-ratings", pain)
    session = {
        "id": str(uuid.uuid4()),
        "recorded_at": _now(),
        "date": today.isoformat(),
        "slot": patient.slots[0][0],
        "status": rng.choice(("completed", "completed", "partial")),
        "exertion": rng.randint(2, 6),
        "pain_during": rng.randint(0, 5),
        "pain_after": rng.randint(0, 5),
    }
    _post_record(phone, token, "session_log", "/api/v1/me/session-logs", session)
    if rng.random() < 1 / 3:
        _sync(phone, token)


def _sync(phone: Phone, token: str) -> None:
    items = [
        {
            "kind": "pain_rating",
            "data": {
                "id": str(uuid.uuid4()),
                "recorded_at": _now(),
                "score": phone.rng.randint(0, 5),
                "context": "now",
            },
        },
        {"kind": "posture_break", "data": {"id": str(uuid.uuid4()), "recorded_at": _now()}},
    ]
    status, document = phone.call("POST", "/api/v1/me/sync", token, {"items": items})
    results = document.get("results", []) if status == 200 and document else []
    stored = {r.get("id") for r in results if r.get("status") in ("created", "duplicate")}
    for item in items:
        record_id = item["data"]["id"]
        phone.traffic.sent(record_id, item["kind"], record_id in stored)


def play_day(
    patients: list[Patient],
    ports: list[int],
    *,
    seconds: float,
    today: date,
    threads: int = 12,
    login_share: float = 0.1,
    seed: int = 25,
) -> Traffic:
    """Play every patient's day, spread evenly over ``seconds``, on ``threads`` phones."""
    traffic = Traffic()
    started = time.monotonic()
    step = seconds / max(1, len(patients))
    local = threading.local()

    def one(n: int) -> None:
        if not hasattr(local, "phone"):
            local.phone = Phone(ports, traffic, random.Random(seed * 1000 + n))
        delay = started + n * step - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        play_patient(local.phone, patients[n], today, login=local.phone.rng.random() < login_share)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        for future in [pool.submit(one, n) for n in range(len(patients))]:
            future.result()
    return traffic
