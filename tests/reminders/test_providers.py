"""Delivery providers: the webhook against a real HTTP server on 127.0.0.1 (HMAC signature,
retry with backoff, dead letter) and FCM through firebase-admin's own types with a fake transport.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest

from server.extensions import db
from server.reminders.fcm import FcmProvider
from server.reminders.jobs import dispatch_tick
from server.reminders.providers import (
    LogProvider,
    OutboundMessage,
    WebhookProvider,
    provider_from_config,
    verify_signature,
)
from tests.reminders.conftest import SECRET, Receiver, deliveries, notifications_of, utc
from tests.reminders.test_dispatch import BEFORE


def message(**fields) -> OutboundMessage:
    values = {
        "delivery_id": uuid.uuid4(),
        "channel": "push",
        "kind": "session",
        "recipient_id": uuid.uuid4(),
        "payload": {"notification_id": str(uuid.uuid4()), "title": "Exercise time", "body": "Go"},
        "devices": ((uuid.uuid4(), "android", "token-a"),),
    }
    return OutboundMessage(**(values | fields))


def test_webhook_posts_signed_json(receiver: Receiver) -> None:
    provider = WebhookProvider(receiver.url, SECRET, timeout=2)
    outbound = message()
    try:
        assert provider.send(outbound).ok
    finally:
        provider.close()
    [got] = receiver.received
    assert got["valid"] is True
    assert got["delivery_id"] == str(outbound.delivery_id)
    assert got["json"]["recipient"] == {"type": "patient", "id": str(outbound.recipient_id)}
    assert got["json"]["devices"] == [{"platform": "android", "token": "token-a"}]
    assert got["json"]["data"]["notification_id"] == outbound.payload["notification_id"]
    # A receiver with another secret, or a tampered body, rejects it.
    body = json.dumps(got["json"]).encode()
    assert not verify_signature("other-secret", "1", body, "sha256=00")


@pytest.mark.parametrize(
    ("status", "ok", "retryable"),
    [(200, True, True), (204, True, True), (500, False, True), (503, False, True),
     (429, False, True), (400, False, False), (410, False, False)],
)  # fmt: skip
def test_webhook_classifies_answers(receiver: Receiver, status, ok, retryable) -> None:
    receiver.statuses = [status]
    provider = WebhookProvider(receiver.url, SECRET, timeout=2)
    try:
        result = provider.send(message())
    finally:
        provider.close()
    assert result.ok is ok
    if not ok:
        assert result.retryable is retryable
        assert result.error == f"HTTP {status}"


def test_webhook_timeout_and_refused_connection_are_retryable(receiver: Receiver) -> None:
    receiver.delay = 0.5
    provider = WebhookProvider(receiver.url, SECRET, timeout=0.1)
    try:
        slow = provider.send(message())
    finally:
        provider.close()
    assert (slow.ok, slow.retryable) == (False, True)
    assert "Timeout" in slow.error
    assert receiver.url not in slow.error
    closed = WebhookProvider("http://127.0.0.1:9/hook", SECRET, timeout=0.5)
    try:
        refused = closed.send(message())
    finally:
        closed.close()
    assert (refused.ok, refused.retryable, refused.error) == (False, True, "ConnectionError")


def test_failures_retry_with_backoff_then_dead_letter(app, receiver, reminder_patient) -> None:
    """The outbox end to end with the configured webhook provider, on both databases."""
    app.config.update(PUSH_PROVIDER="webhook", WEBHOOK_URL=receiver.url, WEBHOOK_SECRET=SECRET)
    patient = reminder_patient(now=BEFORE)
    receiver.default_status = 502
    now = utc(2026, 6, 1, 8, 0, 10)
    waits = []
    with app.app_context():
        for _ in range(10):
            dispatch_tick(now, batch_size=50)
            [row] = deliveries(app)
            if row["status"] == "dead":
                break
            assert row["status"] == "failed"
            assert row["last_error"] == "HTTP 502"
            # Before the backoff has passed nothing is retried.
            dispatch_tick(row["next_attempt_at"] - timedelta(seconds=1), batch_size=50)
            assert deliveries(app)[0]["attempts"] == row["attempts"]
            # Counted from the answer, after the tick's instant by the webhook's round trip.
            waits.append((row["next_attempt_at"] - now).total_seconds())
            now = row["next_attempt_at"]
        db.session.remove()
    # The backoff doubles from 30 s; a loaded host's round trip may add up to a few seconds.
    backoff = [30, 60, 120, 240, 480]
    assert len(waits) == len(backoff)
    assert all(0 <= wait - delay < 5 for wait, delay in zip(waits, backoff, strict=True)), waits
    [row] = deliveries(app)
    assert (row["status"], row["attempts"], row["next_attempt_at"]) == ("dead", 6, None)
    assert len(receiver.received) == 6
    assert all(r["valid"] for r in receiver.received)
    assert {r["delivery_id"] for r in receiver.received} == {str(row["id"])}
    assert [n["status"] for n in notifications_of(app, patient.id)] == ["failed"]


def test_a_refused_message_is_dead_at_once(app, receiver, reminder_patient) -> None:
    app.config.update(PUSH_PROVIDER="webhook", WEBHOOK_URL=receiver.url, WEBHOOK_SECRET=SECRET)
    reminder_patient(now=BEFORE)
    receiver.statuses = [400]
    with app.app_context():
        dispatch_tick(utc(2026, 6, 1, 8, 0, 10), batch_size=50)
        db.session.remove()
    assert [(d["status"], d["attempts"]) for d in deliveries(app)] == [("dead", 1)]


def test_provider_from_config() -> None:
    assert isinstance(provider_from_config({}), LogProvider)
    webhook = provider_from_config(
        {"PUSH_PROVIDER": "webhook", "WEBHOOK_URL": "http://127.0.0.1:1/", "WEBHOOK_SECRET": "s"}
    )
    assert isinstance(webhook, WebhookProvider)
    webhook.close()
    assert isinstance(provider_from_config({"FCM_CREDENTIALS_FILE": "/x.json"}), FcmProvider)
    with pytest.raises(ValueError, match="WEBHOOK_URL"):
        provider_from_config({"PUSH_PROVIDER": "webhook"})
    with pytest.raises(ValueError, match="FCM_CREDENTIALS_FILE"):
        provider_from_config({"PUSH_PROVIDER": "fcm"})
    with pytest.raises(ValueError, match="unknown"):
        provider_from_config({"PUSH_PROVIDER": "pigeon"})


def test_log_provider_logs_identifiers_only(caplog) -> None:
    outbound = message()
    with caplog.at_level("INFO", logger="server.reminders.providers"):
        assert LogProvider().send(outbound).ok
    [record] = caplog.records
    assert record.delivery_id == str(outbound.delivery_id)
    text = json.dumps(record.__dict__, default=str)
    assert "token-a" not in text
    assert "Exercise time" not in text


# --- FCM through firebase-admin's interface ---------------------------------------------------


class FakeTransport:
    """Stands in for ``messaging.send_each``: answers with firebase-admin's own response types."""

    def __init__(self, answers):
        self.answers = answers
        self.batches = []

    def __call__(self, messages):
        from firebase_admin import messaging

        self.batches.append(messages)
        responses = []
        for outbound, answer in zip(messages, self.answers, strict=False):
            target = getattr(outbound, "fid", None) or outbound.token or outbound.topic
            if answer == "ok":
                responses.append(messaging.SendResponse({"name": f"projects/p/{target}"}, None))
            else:
                responses.append(messaging.SendResponse(None, answer))
        return messaging.BatchResponse(responses)


def test_fcm_deletes_unregistered_tokens(app, client, reminder_patient) -> None:
    messaging = pytest.importorskip("firebase_admin.messaging")
    patient = reminder_patient(now=BEFORE)
    for token in ("good-token", "stale-token"):
        body = {"platform": "android", "token": token}
        response = client.post("/api/v1/me/devices", json=body, headers=patient.headers)
        assert response.status_code == 201
    transport = FakeTransport(["ok", messaging.UnregisteredError("gone")])
    with app.app_context():
        dispatch_tick(
            utc(2026, 6, 1, 8, 0, 10), batch_size=50, provider=FcmProvider("", send_each=transport)
        )
        from tests.reminders.test_api import _devices

        db.session.remove()
    [batch] = transport.batches
    assert len(batch) == 2
    assert batch[0].notification.title == "Exercise time"
    assert set(batch[0].data) >= {"delivery_id", "notification_id", "kind"}
    assert "Patient" not in json.dumps(batch[0].data)
    assert _devices(app, patient.id) == [("android", "good-token")]
    assert [d["status"] for d in deliveries(app)] == ["sent"]


def test_fcm_transient_errors_are_retried(app, client, reminder_patient) -> None:
    pytest.importorskip("firebase_admin")
    from firebase_admin import exceptions

    patient = reminder_patient(now=BEFORE)
    client.post(
        "/api/v1/me/devices", json={"platform": "ios", "token": "only"}, headers=patient.headers
    )
    transport = FakeTransport([exceptions.UnavailableError("try later")])
    with app.app_context():
        dispatch_tick(
            utc(2026, 6, 1, 8, 0, 10), batch_size=50, provider=FcmProvider("", send_each=transport)
        )
        db.session.remove()
    [row] = deliveries(app)
    assert (row["status"], row["last_error"]) == ("failed", "UnavailableError")


def test_fcm_alerts_staff_on_their_topic() -> None:
    pytest.importorskip("firebase_admin")
    staff_id = uuid.uuid4()
    transport = FakeTransport(["ok"])
    provider = FcmProvider("", send_each=transport)
    result = provider.send(
        message(channel="staff", kind="urgent_flag", recipient_id=staff_id, devices=())
    )
    assert result.ok
    assert transport.batches[0][0].topic == f"staff-{staff_id}"
    # A patient without a device: the in-app inbox is the delivery, nothing is sent.
    assert provider.send(message(devices=())).ok
    assert len(transport.batches) == 1
