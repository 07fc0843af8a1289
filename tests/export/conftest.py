"""Fixtures of the export tests: the demo clinic with Ayşe's four weeks, signed in."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from server.accounts.models import User
from server.extensions import db
from server.seeding import seed_all

AYSE = "ayse@demo.example"
JOHN = "john@demo.example"
THERAPIST = "therapist@demo.example"
PUSH_TOKEN = "push-token-that-must-never-be-exported-0123456789"


@dataclass(frozen=True)
class Person:
    id: uuid.UUID
    clinic_id: uuid.UUID
    headers: dict[str, str]


def sign_in(client: FlaskClient, email: str, password: str) -> Person:
    answer = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert answer.status_code == 200, answer.get_json()
    user = answer.json["user"]
    return Person(
        uuid.UUID(user["id"]),
        uuid.UUID(user["clinic_id"]),
        {"Authorization": f"Bearer {answer.json['access_token']}"},
    )


@dataclass(frozen=True)
class Demo:
    ayse: Person
    john: Person
    therapist: Person


@pytest.fixture
def demo(app: Flask, client: FlaskClient, seed_dir: Path) -> Demo:
    """The demo seed, its people signed in, and Ayşe's device and an outcome measure answered."""
    with app.app_context():
        seed_all(seed_dir)
        db.session.commit()
        assert db.session.scalar(sa.select(User.id).where(User.email == AYSE)) is not None
    demo = Demo(
        sign_in(client, AYSE, "demo-patient"),
        sign_in(client, JOHN, "demo-patient"),
        sign_in(client, THERAPIST, "demo-therapist"),
    )
    device = client.post(
        "/api/v1/me/devices",
        json={"platform": "android", "token": PUSH_TOKEN},
        headers=demo.ayse.headers,
    )
    assert device.status_code in (200, 201), device.get_json()
    recorded_at = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    groc = {
        "id": str(uuid.uuid4()),
        "recorded_at": recorded_at,
        "measure": "GROC",
        "answers": [{"item": "overall_change", "value": 2}],
    }
    answer = client.post("/api/v1/me/measure-responses", json=groc, headers=demo.ayse.headers)
    assert answer.status_code == 201, answer.get_json()
    return demo
