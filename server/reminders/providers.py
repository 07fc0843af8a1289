"""Push delivery providers behind one interface: ``log`` (default), ``webhook`` and ``fcm``.

A provider gets an :class:`OutboundMessage` (title, body, identifiers and, for patients, the
device tokens) and answers a :class:`DeliveryResult`; the outbox decides about retries. No
provider ever logs a token, a title or a body: only identifiers.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import inspect
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
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


SendEach = Callable[[list[Any]], Any]


@functools.cache
def _firebase_app(credentials_file: str) -> Any:
    import firebase_admin
    from firebase_admin import credentials

    name = "hep-" + hashlib.sha256(credentials_file.encode()).hexdigest()[:12]
    return firebase_admin.initialize_app(credentials.Certificate(credentials_file), name=name)


def _retryable_firebase_error(error: BaseException) -> bool:
    from firebase_admin import exceptions

    transient = (
        exceptions.UnavailableError,
        exceptions.InternalError,
        exceptions.DeadlineExceededError,
        exceptions.ResourceExhaustedError,
        exceptions.UnknownError,
    )
    return isinstance(error, transient)


class FcmProvider:
    """Firebase Cloud Messaging through ``firebase-admin``'s ``messaging.send_each``.

    Patients get one message per registered device; therapists get one message on the topic
    ``staff-<user id>`` their app subscribes to. A token FCM reports as unregistered is deleted.
    ``send_each`` can be injected (tests pass a fake transport with firebase-admin's types).
    """

    name = "fcm"

    def __init__(self, credentials_file: str, send_each: SendEach | None = None):
        if not credentials_file and send_each is None:
            raise ValueError("the fcm provider needs FCM_CREDENTIALS_FILE")
        self.credentials_file = credentials_file
        self._send_each = send_each
        self._first_send = threading.Lock()

    def _sender(self) -> SendEach:
        with self._first_send:  # the claim workers' first sends would both make the app
            if self._send_each is None:
                from firebase_admin import messaging

                app = _firebase_app(self.credentials_file)
                self._send_each = functools.partial(messaging.send_each, app=app)
        return self._send_each

    def _messages(self, message: OutboundMessage) -> list[Any]:
        from firebase_admin import messaging

        notification = messaging.Notification(title=message.title, body=message.body)
        if message.channel == "staff":
            topic = f"staff-{message.recipient_id}"
            return [messaging.Message(topic=topic, notification=notification, data=message.data)]
        # firebase-admin 7.7 renamed a message's registration ``token`` to ``fid``.
        target = "fid" if "fid" in inspect.signature(messaging.Message).parameters else "token"
        return [
            messaging.Message(notification=notification, data=message.data, **{target: token})
            for _, _, token in message.devices
        ]

    def send(self, message: OutboundMessage) -> DeliveryResult:
        from firebase_admin import exceptions, messaging

        messages = self._messages(message)
        if not messages:
            return DeliveryResult(ok=True)  # no device: the in-app inbox is the delivery
        try:
            batch = self._sender()(messages)
        except exceptions.FirebaseError as error:
            retryable = _retryable_firebase_error(error)
            return DeliveryResult(ok=False, retryable=retryable, error=type(error).__name__)
        unregistered, failures, delivered = [], [], 0
        device_ids = [d for d, _, _ in message.devices] or [None]
        for device_id, response in zip(device_ids, batch.responses, strict=True):
            if response.success:
                delivered += 1
            elif device_id is not None and isinstance(
                response.exception, messaging.UnregisteredError | messaging.SenderIdMismatchError
            ):
                unregistered.append(device_id)
            else:
                failures.append(response.exception)
        if delivered or not failures:
            # Partial success is success: retrying would push twice to the devices that got it.
            return DeliveryResult(ok=True, unregistered_device_ids=tuple(unregistered))
        return DeliveryResult(
            ok=False,
            retryable=any(_retryable_firebase_error(e) for e in failures),
            error=type(failures[0]).__name__,
            unregistered_device_ids=tuple(unregistered),
        )

    def close(self) -> None:
        return None


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
        return FcmProvider(config.get("FCM_CREDENTIALS_FILE", ""))
    raise ValueError(f"unknown PUSH_PROVIDER {name!r}: use log, webhook or fcm")
