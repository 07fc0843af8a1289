"""Issue 20 item 7: push devices are capped per patient (oldest dropped), and a token is not
taken from its owner: it moves only once the session that registered it has ended, and the
move is audited in both clinics."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from server.audit.models import AuditEvent
from server.extensions import db
from server.reminders.devices import MAX_DEVICES_PER_PATIENT
from server.reminders.models import Device
from tests.factories import UserHandle


def _register(client: FlaskClient, who: UserHandle, token: str):
    return client.post(
        "/api/v1/me/devices", json={"platform": "android", "token": token}, headers=who.headers
    )


def test_a_patient_keeps_at_most_the_cap_and_the_least_recently_seen_go(
    app: Flask, client: FlaskClient, make_patient: Callable[..., UserHandle]
) -> None:
    patient = make_patient()
    tokens = [f"token-{i}" for i in range(MAX_DEVICES_PER_PATIENT + 2)]
    for token in tokens:
        assert _register(client, patient, token).status_code == 201
    with app.app_context():
        kept = set(db.session.scalars(sa.select(Device.token)))
        dropped = db.session.scalars(
            sa.select(AuditEvent.patient_id).where(AuditEvent.action == "device.drop_oldest")
        ).all()
    assert kept == set(tokens[2:])
    assert dropped == [patient.id, patient.id]


def test_a_token_is_not_taken_from_an_owner_still_signed_in_on_it(
    app: Flask, client: FlaskClient, make_patient: Callable[..., UserHandle]
) -> None:
    owner, other = make_patient(), make_patient()  # two clinics
    assert owner.clinic_id != other.clinic_id
    assert _register(client, owner, "shared-phone").status_code == 201
    refused = _register(client, other, "shared-phone")
    assert refused.status_code == 409
    assert refused.content_type == "application/problem+json"
    with app.app_context():
        device = db.session.scalar(sa.select(Device).where(Device.token == "shared-phone"))
        assert (device.patient_id, device.clinic_id) == (owner.id, owner.clinic_id)


def test_a_token_moves_once_its_owner_signed_out_and_both_clinics_see_the_move(
    app: Flask, client: FlaskClient, make_patient: Callable[..., UserHandle]
) -> None:
    owner, newcomer = make_patient(), make_patient()
    assert _register(client, owner, "handed-down-phone").status_code == 201
    assert client.post("/api/v1/auth/logout", headers=owner.headers).status_code == 204
    moved = _register(client, newcomer, "handed-down-phone")
    assert moved.status_code == 201
    with app.app_context():
        device = db.session.scalar(sa.select(Device).where(Device.token == "handed-down-phone"))
        assert (device.patient_id, device.clinic_id) == (newcomer.id, newcomer.clinic_id)
        events = {
            (e.action, e.clinic_id, e.patient_id)
            for e in db.session.scalars(
                sa.select(AuditEvent).where(AuditEvent.action.like("device.moved%"))
            )
        }
    assert events == {
        ("device.moved_away", owner.clinic_id, owner.id),
        ("device.moved_here", newcomer.clinic_id, newcomer.id),
    }


def test_the_same_patient_registering_again_is_a_200_and_moves_nothing(
    client: FlaskClient, make_patient: Callable[..., UserHandle]
) -> None:
    patient = make_patient()
    assert _register(client, patient, "mine").status_code == 201
    assert _register(client, patient, "mine").status_code == 200
