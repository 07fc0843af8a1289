"""Push delivery providers behind one interface: ``log`` (default), ``webhook`` and ``fcm``.

A provider gets an :class:`OutboundMessage` (title, body, identifiers and, for patients, the
device tokens) and answers a :class:`DeliveryResult`; the outbox decides about retries. No
provider ever logs a token, a title or a body: only identifiers.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import requests

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-HEP-Signature"
TIMESTAMP_HEADER = "X-HEP-Timestamp"
DELIVERY_HEADER = "X-HEP-Delivery"
# HTTP answers worth retrying; any other 4xx is the receiver refusing the message for good.
RETRYABLE_STATUSES = frozenset({408, 425, 429})


@dataclass(frozen=True)
class OutboundMessage:
    """One outbox row ready to send; ``devices`` are ``(device_id, platform, token)``."""

    delivery_id: uuid.UUID
    channel: str
    kind: str
    recipient_id: uuid.UUID
    payload: Mapping[str, Any]
    devices: tuple[tuple[uuid.UUID, str, str], ...] = ()
    attempt: int = 1

    @property
    def title(self) -> str:
        return str(self.payload.get("title", ""))

    @property
    def body(self) -> str:
        return str(self.payload.get("body", ""))

    @property
    def data(self) -> dict[str, str]:
        """Identifiers and kinds only (FCM wants string values)."""
        extra = {k: str(v) for k, v in self.payload.items() if k not in ("title", "body")}
        return {"delivery_id": str(self.delivery_id), "kind": self.kind, **extra}


@dataclass(frozen=True)
class DeliveryResult:
    """The outcome of one send. ``error`` is a short code, never a secret or a URL."""

    ok: bool
    retryable: bool = True
    error: str | None = None
    unregistered_device_ids: tuple[uuid.UUID, ...] = ()


SENT = DeliveryResult(ok=True)


class PushProvider(Protocol):
    """What the dispatch tick needs from a delivery channel. A provider may also name its
    ``batch_size``: how many sends one claimed batch may hold and still end inside its lease.
    The tick's claim workers share one provider, so ``send`` may run in two threads at once."""

    name: str

    def send(self, message: OutboundMessage) -> DeliveryResult: ...

    def close(self) -> None: ...


class LogProvider:
    """The default: writes one log line of identifiers per delivery and reports success."""

    name = "log"
    batch_size = 1000  # no I/O: a batch's lease cannot run out while it sends

    def send(self, message: OutboundMessage) -> DeliveryResult:
        if not log.isEnabledFor(logging.INFO):
            return SENT  # the line would be dropped: skip building it
        log.info(
            "push delivered",
            extra={
                "provider": self.name,
                "delivery_id": str(message.delivery_id),
                "delivery_kind": message.kind,
                "channel": message.channel,
                "recipient_id": str(message.recipient_id),
                "device_count": len(message.devices),
            },
        )
        return SENT

    def close(self) -> None:
        return None


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` HMAC-SHA256 over ``timestamp + "." + body`` with ``secret``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_signature(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver does: recompute the signature and compare in constant time."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


class WebhookProvider:
    """POSTs each delivery as JSON to ``url``, signed with HMAC-SHA256 over timestamp + body."""

    name = "webhook"

    def __init__(self, url: str, secret: str, timeout: float = 5.0):
        if not url or not secret:
            raise ValueError("the webhook provider needs WEBHOOK_URL and WEBHOOK_SECRET")
        self.url, self.secret, self.timeout = url, secret, timeout
        # One session (one connection pool) per sending thread: requests does not promise a
        # shared Session is thread-safe, and the tick's claim workers send at once.
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            with self._sessions_lock:
                self._sessions.append(session)
        return session

    def body_of(self, message: OutboundMessage) -> bytes:
        document = {
            "delivery_id": str(message.delivery_id),
            "attempt": message.attempt,
            "channel": message.channel,
            "kind": message.kind,
            "recipient": {
                "type": "patient" if message.channel == "push" else "staff",
                "id": str(message.recipient_id),
            },
            "title": message.title,
            "body": message.body,
            "data": message.data,
            "devices": [{"platform": p, "token": t} for _, p, t in message.devices],
        }
        return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()

    def send(self, message: OutboundMessage) -> DeliveryResult:
        body = self.body_of(message)
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            DELIVERY_HEADER: str(message.delivery_id),
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(self.secret, timestamp, body),
        }
        try:
            response = self._session().post(
                self.url, data=body, headers=headers, timeout=self.timeout, allow_redirects=False
            )
        except requests.RequestException as error:
            return DeliveryResult(ok=False, retryable=True, error=type(error).__name__)
        with response:
            status = response.status_code
        if 200 <= status < 300:
            return DeliveryResult(ok=True)
        retryable = status >= 500 or status in RETRYABLE_STATUSES
        return DeliveryResult(ok=False, retryable=retryable, error=f"HTTP {status}")

    def close(self) -> None:
        with self._sessions_lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()


def provider_from_config(config: Mapping[str, Any]) -> PushProvider:
    """The provider named by ``PUSH_PROVIDER`` (``log``, ``webhook`` or ``fcm``).

    With the default ``log`` and ``FCM_CREDENTIALS_FILE`` set, FCM is used: configured
    credentials mean the operator wants real pushes.
    """
    name = (config.get("PUSH_PROVIDER") or "log").lower()
    if name == "log" and config.get("FCM_CREDENTIALS_FILE"):
        name = "fcm"
    if name == "log":
        return LogProvider()
    if name == "webhook":
        return WebhookProvider(
            config.get("WEBHOOK_URL", ""),
            config.get("WEBHOOK_SECRET", ""),
            float(config.get("WEBHOOK_TIMEOUT_SECONDS", 5)),
        )
    if name == "fcm":
        from server.reminders.fcm import FcmProvider  # firebase-admin only when configured

        return FcmProvider(config.get("FCM_CREDENTIALS_FILE", ""))
    raise ValueError(f"unknown PUSH_PROVIDER {name!r}: use log, webhook or fcm")
