"""Issue 20 item 6: urgent alerts coalesce. One alert per red flag and recipient within a short
window, with a count; the flag keeps every piece of evidence."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from server.extensions import db
from server.flags.models import Flag
from server.reminders.models import Delivery
from server.reminders.services import enqueue_urgent_flag_alert
from tests.factories import UserHandle

T0 = datetime(2026, 6, 1, 6, tzinfo=UTC)


def _urgent_alerts() -> list[Delivery]:
    statement = sa.select(Delivery).where(Delivery.kind == "urgent_flag")
    return list(db.session.scalars(statement.order_by(Delivery.created_at)))


def test_one_sync_with_fifty_positive_checks_sends_one_alert_with_a_count(
    app: Flask, client: FlaskClient, make_patient: Callable[..., UserHandle]
) -> None:
    patient = make_patient()
    now = datetime.now(UTC)
    items = [
        {
            "kind": "symptom_check",
            "data": {
                "id": str(uuid.uuid4()),
                "recorded_at": (now - timedelta(seconds=i)).isoformat(),
                "answers": {"thunderclap": True},
            },
        }
        for i in range(50)
    ]
    response = client.post("/api/v1/me/sync", json={"items": items}, headers=patient.headers)
    assert response.status_code == 200
    assert [r["status"] for r in response.json["results"]] == ["created"] * 50
    with app.app_context():
        [alert] = _urgent_alerts()
        assert alert.recipient_id == patient.therapist_id
        assert alert.payload["count"] == 50
        [flag] = db.session.scalars(sa.select(Flag).where(Flag.type == "red_flag"))
        assert len(flag.evidence) == 50


class _FlagStub:
    def __init__(self, patient_id: uuid.UUID, acknowledged_at: datetime | None = None):
        self.id = uuid.uuid4()
        self.patient_id = patient_id
        self.acknowledged_at = acknowledged_at


def test_a_sign_within_the_window_adds_to_the_count_and_one_after_it_alerts_again(
    app: Flask, make_patient: Callable[..., UserHandle]
) -> None:
    patient = make_patient()
    with app.app_context():
        flag = _FlagStub(patient.id)
        assert enqueue_urgent_flag_alert(flag=flag, cause_id=uuid.uuid4(), now=T0) == 1
        later = T0 + timedelta(minutes=5)
        assert enqueue_urgent_flag_alert(flag=flag, cause_id=uuid.uuid4(), now=later) == 0
        db.session.commit()
        assert [a.payload["count"] for a in _urgent_alerts()] == [2]
        after_window = T0 + timedelta(minutes=16)
        assert enqueue_urgent_flag_alert(flag=flag, cause_id=uuid.uuid4(), now=after_window) == 1
        db.session.commit()
        assert [a.payload["count"] for a in _urgent_alerts()] == [2, 1]


def test_a_replayed_cause_does_not_count_twice(
    app: Flask, make_patient: Callable[..., UserHandle]
) -> None:
    patient = make_patient()
    with app.app_context():
        flag, cause = _FlagStub(patient.id), uuid.uuid4()
        enqueue_urgent_flag_alert(flag=flag, cause_id=cause, now=T0)
        enqueue_urgent_flag_alert(flag=flag, cause_id=cause, now=T0 + timedelta(minutes=1))
        db.session.commit()
        assert [a.payload["count"] for a in _urgent_alerts()] == [1]


def test_a_sign_after_the_flag_was_acknowledged_alerts_again_within_the_window(
    app: Flask, make_patient: Callable[..., UserHandle]
) -> None:
    patient = make_patient()
    with app.app_context():
        flag = _FlagStub(patient.id)
        enqueue_urgent_flag_alert(flag=flag, cause_id=uuid.uuid4(), now=T0)
        flag.acknowledged_at = T0 + timedelta(minutes=2)
        queued = enqueue_urgent_flag_alert(
            flag=flag, cause_id=uuid.uuid4(), now=T0 + timedelta(minutes=3)
        )
        db.session.commit()
        assert queued == 1
        assert [a.payload["count"] for a in _urgent_alerts()] == [1, 1]


def test_another_red_flag_is_not_folded_into_this_ones_alert(
    app: Flask, make_patient: Callable[..., UserHandle]
) -> None:
    first, second = make_patient(), make_patient()
    with app.app_context():
        enqueue_urgent_flag_alert(flag=_FlagStub(first.id), cause_id=uuid.uuid4(), now=T0)
        queued = enqueue_urgent_flag_alert(
            flag=_FlagStub(second.id), cause_id=uuid.uuid4(), now=T0 + timedelta(minutes=1)
        )
        db.session.commit()
        assert queued == 1
        assert len(_urgent_alerts()) == 2
