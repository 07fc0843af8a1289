"""Firebase Cloud Messaging behind the provider interface: ``firebase-admin``'s ``send_each``."""

from __future__ import annotations

import functools
import hashlib
import inspect
import threading
from collections.abc import Callable
from typing import Any

from server.reminders.providers import DeliveryResult, OutboundMessage

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
