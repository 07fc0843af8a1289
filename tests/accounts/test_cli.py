"""``flask create-clinic`` and ``flask create-therapist``: passwords come from stdin."""

from __future__ import annotations

import re
import uuid

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from server.accounts.models import Clinic, User
from server.extensions import db
from tests.accounts.helpers import STRONG_PASSWORD, login


def _create_clinic(app: Flask, password: str = STRONG_PASSWORD, **overrides: str):
    options = {
        "--name": "North Clinic",
        "--timezone": "Europe/Istanbul",
        "--admin-email": "Boss@North.example",
        "--admin-name": "Boss",
        **overrides,
    }
    args = ["create-clinic", *[part for pair in options.items() for part in pair]]
    return app.test_cli_runner().invoke(args=args, input=f"{password}\n")


def test_create_clinic_with_its_first_admin(app: Flask, client: FlaskClient) -> None:
    result = _create_clinic(app)
    assert result.exit_code == 0, result.output
    assert STRONG_PASSWORD not in result.output
    response = login(client, "boss@north.example", STRONG_PASSWORD)
    assert response.status_code == 200
    assert response.json["user"]["role"] == "clinic_admin"
    with app.app_context():
        clinic = db.session.scalar(sa.select(Clinic))
        assert clinic.name == "North Clinic"
        assert str(clinic.id) in result.output


def test_create_clinic_refuses_bad_input_and_stores_nothing(app: Flask) -> None:
    weak = _create_clinic(app, password="short")
    assert weak.exit_code != 0
    assert "password" in weak.output
    zone = _create_clinic(app, **{"--timezone": "Mars/Base"})
    assert zone.exit_code != 0
    empty = _create_clinic(app, password="")
    assert empty.exit_code != 0
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Clinic)) == 0


def test_create_therapist_in_an_existing_clinic(app: Flask, client: FlaskClient) -> None:
    output = _create_clinic(app).output
    clinic_id = re.search(r"created clinic ([0-9a-f-]{36})", output).group(1)
    runner = app.test_cli_runner()
    args = ["create-therapist", "--clinic-id", clinic_id, "--email", "t@north.example"]
    result = runner.invoke(args=[*args, "--name", "T"], input=f"{STRONG_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert login(client, "t@north.example", STRONG_PASSWORD).json["user"]["role"] == "therapist"
    duplicate = runner.invoke(args=[*args, "--name", "T"], input=f"{STRONG_PASSWORD}\n")
    assert duplicate.exit_code != 0
    assert "already exists" in duplicate.output
    admin = runner.invoke(
        args=[
            "create-therapist", "--clinic-id", clinic_id, "--email", "a2@north.example",
            "--name", "A2", "--role", "clinic_admin",
        ],
        input=f"{STRONG_PASSWORD}\n",
    )  # fmt: skip
    assert admin.exit_code == 0, admin.output
    unknown = runner.invoke(
        args=["create-therapist", "--clinic-id", str(uuid.uuid4()), "--email", "z@x.example",
              "--name", "Z"],
        input=f"{STRONG_PASSWORD}\n",
    )  # fmt: skip
    assert unknown.exit_code != 0
    with app.app_context():
        roles = db.session.scalars(sa.select(User.role).order_by(User.email)).all()
        assert sorted(roles) == ["clinic_admin", "clinic_admin", "therapist"]
