"""Reminder test helpers: patients with a programme and streams, a recording provider, ticks."""

from __future__ import annotations

import json
import threading
import time as clock
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from server.extensions import db
from server.reminders.models import Delivery, Notification, ReminderStream
from server.reminders.providers import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    DeliveryResult,
    OutboundMessage,
    verify_signature,
)
from server.reminders.services import refresh_reminder_streams
from tests.factories import ProgrammeHandle, UserHandle

# Monday 1 June 2026, a quiet week with no DST transition anywhere we test.
MONDAY = date(2026, 6, 1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


class RecordingProvider:
    """A provider that remembers every message and answers from a script (default: success)."""

    name = "recording"

    def __init__(self, answers: list[DeliveryResult] | None = None):
        self.sent: list[OutboundMessage] = []
        self.answers = list(answers or [])

    def send(self, message: OutboundMessage) -> DeliveryResult:
        self.sent.append(message)
        return self.answers.pop(0) if self.answers else DeliveryResult(ok=True)

    def close(self) -> None:
        return None


@pytest.fixture
def provider() -> RecordingProvider:
    return RecordingProvider()


@pytest.fixture
def reminder_patient(
    app: Flask,
    make_patient: Callable[..., UserHandle],
    make_programme: Callable[..., ProgrammeHandle],
) -> Callable[..., UserHandle]:
    """A patient with a programme from MONDAY and fresh reminder streams as of ``now``."""

    def make(
        *,
        now: datetime,
        timezone: str = "UTC",
        language: str = "en",
        slots: list[tuple[str, str]] = (("morning", "08:00"), ("evening", "19:00")),
        posture_interval: int | None = None,
        start_date: date = MONDAY,
        **patient_fields: Any,
    ) -> UserHandle:
        patient = make_patient(timezone=timezone, language=language, **patient_fields)
        make_programme(
            patient,
            start_date=start_date,
            schedule={
                "days": [1, 2, 3, 4, 5, 6, 7],
                "slots": [{"slot": s, "time": t} for s, t in slots],
            },
            posture_breaks={
                "enabled": posture_interval is not None,
                "interval_minutes": posture_interval or 40,
            },
            effective_at=utc(2026, 1, 1),
        )
        with app.app_context():
            refresh_reminder_streams(patient.id, now)
            db.session.commit()
        return patient

    return make


def stream_due(app: Flask, patient_id: uuid.UUID, kind: str) -> datetime | None:
    with app.app_context():
        return db.session.scalar(
            sa.select(ReminderStream.next_due_at).where(
                ReminderStream.patient_id == patient_id, ReminderStream.kind == kind
            )
        )


def notifications_of(app: Flask, patient_id: uuid.UUID) -> list[dict[str, Any]]:
    """The patient's occurrence records as plain dicts, oldest first."""
    with app.app_context():
        rows = db.session.scalars(
            sa.select(Notification)
            .where(Notification.patient_id == patient_id)
            .order_by(Notification.occurrence_at, Notification.kind)
        )
        return [
            {
                "id": n.id,
                "kind": n.kind,
                "at": n.occurrence_at,
                "status": n.status,
                "slot": n.slot,
                "message": n.message,
                "snooze_count": n.snooze_count,
            }
            for n in rows
        ]


def deliveries(app: Flask) -> list[dict[str, Any]]:
    with app.app_context():
        return [
            {
                "id": d.id,
                "channel": d.channel,
                "kind": d.kind,
                "status": d.status,
                "attempts": d.attempts,
                "next_attempt_at": d.next_attempt_at,
                "last_error": d.last_error,
                "notification_id": d.notification_id,
                "recipient_id": d.recipient_id,
                "payload": d.payload,
            }
            for d in db.session.scalars(sa.select(Delivery).order_by(Delivery.created_at))
        ]


def at_local(day: date, wall: str, tz: str) -> datetime:
    from zoneinfo import ZoneInfo

    hours, minutes = wall.split(":")
    naive = datetime.combine(day, time(int(hours), int(minutes)))
    return naive.replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)


SECRET = "webhook-secret-for-tests-0123456789"


class Receiver:
    """A webhook endpoint on 127.0.0.1 that checks signatures and answers scripted statuses."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.statuses: list[int] = []
        self.default_status = 200
        self.delay = 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append(
                    {
                        "valid": verify_signature(
                            SECRET,
                            self.headers[TIMESTAMP_HEADER],
                            body,
                            self.headers[SIGNATURE_HEADER],
                        ),
                        "delivery_id": self.headers[DELIVERY_HEADER],
                        "json": json.loads(body),
                    }
                )
                clock.sleep(receiver.delay)
                status = receiver.statuses.pop(0) if receiver.statuses else receiver.default_status
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    receiver.thread.start()
    yield receiver
    receiver.close()
