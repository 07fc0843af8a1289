"""Invitations: 7 days, single use, a newer code replaces older ones, only a digest is stored."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from server.access import Actor
from server.accounts.invitations import activate_invitation, create_invitation
from server.accounts.models import Invitation, User
from server.accounts.rules import INVITE_ALPHABET, INVITE_LENGTH
from server.clock import utcnow
from server.errors import Gone, NotFound, Unprocessable
from server.extensions import db
from tests.accounts.helpers import STRONG_PASSWORD, bearer, login
from tests.factories import UserHandle


def _actor(user: UserHandle) -> Actor:
    return Actor(user.id, user.role, user.clinic_id)


@pytest.fixture
def invite(
    app: Flask, make_patient: Callable[..., UserHandle]
) -> Callable[..., tuple[UserHandle, str]]:
    """Create a patient and an invitation issued at ``now``; returns (patient, code)."""

    def make(now=None, patient: UserHandle | None = None) -> tuple[UserHandle, str]:
        patient = patient or make_patient()
        therapist = Actor(patient.therapist_id, "therapist", patient.clinic_id)
        with app.app_context():
            issued = create_invitation(patient.id, actor=therapist, now=now or utcnow())
            db.session.commit()
        return patient, issued.code

    return make


def test_a_code_is_ten_unambiguous_characters_valid_for_seven_days(
    app: Flask, client: FlaskClient, make_patient: Callable[..., UserHandle]
) -> None:
    patient = make_patient()
    therapist_headers = {"Authorization": _therapist_token(app, patient)}
    before = utcnow()
    response = client.post(f"/api/v1/patients/{patient.id}/invitations", headers=therapist_headers)
    assert response.status_code == 201
    code = response.json["code"]
    assert len(code) == INVITE_LENGTH
    assert set(code) <= set(INVITE_ALPHABET)
    lifetime = datetime.fromisoformat(response.json["expires_at"]) - before
    assert timedelta(days=7) - timedelta(minutes=1) < lifetime <= timedelta(days=7, minutes=1)
    with app.app_context():
        stored = db.session.scalars(sa.select(Invitation.code_digest)).all()
        assert code not in stored
        assert all(len(digest) == 64 for digest in stored)


def _therapist_token(app: Flask, patient: UserHandle) -> str:
    from server.accounts.sessions import start_session

    with app.app_context():
        pair = start_session(db.session.get(User, patient.therapist_id))
        db.session.commit()
        return f"Bearer {pair.access_token}"


def test_activation_sets_the_password_and_returns_tokens(
    app: Flask, client: FlaskClient, invite: Callable[..., tuple[UserHandle, str]]
) -> None:
    patient, code = invite()
    typed = f" {code[:5].lower()}-{code[5:]} "
    response = client.post(
        "/api/v1/auth/activate", json={"invite_code": typed, "password": STRONG_PASSWORD}
    )
    assert response.status_code == 201
    assert response.json["user"]["id"] == str(patient.id)
    assert response.json["user"]["role"] == "patient"
    me = client.get("/api/v1/me", headers=bearer(response.json["access_token"]))
    assert me.status_code == 200
    assert login(client, patient.email, STRONG_PASSWORD).status_code == 200


def test_activation_ends_sessions_opened_with_the_old_password(
    client: FlaskClient, invite: Callable[..., tuple[UserHandle, str]]
) -> None:
    patient, code = invite()
    body = {"invite_code": code, "password": STRONG_PASSWORD}
    assert client.post("/api/v1/auth/activate", json=body).status_code == 201
    assert client.get("/api/v1/me", headers=patient.headers).status_code == 401


def test_a_code_cannot_be_used_twice(
    app_ctx: Flask, invite: Callable[..., tuple[UserHandle, str]]
) -> None:
    _, code = invite()
    activate_invitation(code, STRONG_PASSWORD)
    db.session.commit()
    with pytest.raises(Gone):
        activate_invitation(code, STRONG_PASSWORD)


def test_a_code_expires_after_seven_days(
    app_ctx: Flask, invite: Callable[..., tuple[UserHandle, str]]
) -> None:
    issued_at = utcnow() - timedelta(days=3)
    _, code = invite(now=issued_at)
    with pytest.raises(Gone):
        activate_invitation(code, STRONG_PASSWORD, now=issued_at + timedelta(days=7))
    pair = activate_invitation(
        code, STRONG_PASSWORD, now=issued_at + timedelta(days=7) - timedelta(seconds=1)
    )
    assert pair.user.role == "patient"


def test_a_new_code_replaces_the_unused_old_one(
    app_ctx: Flask, invite: Callable[..., tuple[UserHandle, str]]
) -> None:
    patient, old = invite()
    _, new = invite(patient=patient)
    with pytest.raises(Gone):
        activate_invitation(old, STRONG_PASSWORD)
    assert activate_invitation(new, STRONG_PASSWORD).user.id == patient.id


def test_unknown_code_is_404_and_a_weak_password_does_not_spend_the_code(
    app_ctx: Flask, invite: Callable[..., tuple[UserHandle, str]]
) -> None:
    _, code = invite()
    with pytest.raises(NotFound):
        activate_invitation("ACDEFGHJKM", STRONG_PASSWORD)
    with pytest.raises(Unprocessable) as weak:
        activate_invitation(code, "short")
    assert "password" in weak.value.errors
    db.session.rollback()
    assert activate_invitation(code, STRONG_PASSWORD).user.role == "patient"


def test_the_api_answers_404_410_and_422(
    client: FlaskClient, invite: Callable[..., tuple[UserHandle, str]]
) -> None:
    _, code = invite()
    unknown = client.post(
        "/api/v1/auth/activate", json={"invite_code": "NOPE", "password": STRONG_PASSWORD}
    )
    assert unknown.status_code == 404
    weak = client.post("/api/v1/auth/activate", json={"invite_code": code, "password": "aaaa"})
    assert weak.status_code == 422
    assert weak.json["errors"]["password"]
    body = {"invite_code": code, "password": STRONG_PASSWORD}
    assert client.post("/api/v1/auth/activate", json=body).status_code == 201
    used = client.post("/api/v1/auth/activate", json=body)
    assert used.status_code == 410
    assert used.content_type == "application/problem+json"


def test_a_patient_cannot_invite_and_other_clinics_get_404(
    app: Flask,
    client: FlaskClient,
    make_patient: Callable[..., UserHandle],
    make_staff: Callable[..., UserHandle],
) -> None:
    patient = make_patient()
    outsider = make_staff()
    url = f"/api/v1/patients/{patient.id}/invitations"
    assert client.post(url, headers=patient.headers).status_code == 403
    assert client.post(url, headers=outsider.headers).status_code == 404
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 0


def test_two_codes_issued_at_once_leave_one_live(
    app: Flask, make_patient: Callable[..., UserHandle], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two therapists' requests both load the patient before either writes: the code issued
    second still revokes the first, so one code is live, as when they come one after the other."""
    import threading

    from server.accounts import invitations

    patient = make_patient()
    therapist = Actor(patient.therapist_id, "therapist", patient.clinic_id)
    both_loaded = threading.Barrier(2, timeout=10)
    load = invitations.get_scoped

    def load_then_wait(*args, **kwargs):
        found = load(*args, **kwargs)
        both_loaded.wait()
        return found

    monkeypatch.setattr(invitations, "get_scoped", load_then_wait)
    errors: list[BaseException] = []

    def issue() -> None:
        try:
            with app.app_context():
                create_invitation(patient.id, actor=therapist)
                db.session.commit()
                db.session.remove()
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=issue) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    with app.app_context():
        live = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Invitation)
            .where(
                Invitation.patient_id == patient.id,
                Invitation.used_at.is_(None),
                Invitation.revoked_at.is_(None),
            )
        )
    assert live == 1


def _pushes_after_tick(app: Flask) -> list:
    from server.reminders.jobs import dispatch_tick
    from tests.reminders.conftest import RecordingProvider

    provider = RecordingProvider()
    with app.app_context():
        dispatch_tick(utcnow(), provider=provider)
    return provider.sent


def test_a_code_that_resets_a_password_tells_the_patients_phones(
    app: Flask,
    client: FlaskClient,
    make_patient: Callable[..., UserHandle],
    invite: Callable[..., tuple[UserHandle, str]],
) -> None:
    patient = make_patient(language="tr")
    device = {"platform": "android", "token": "phone-registered-before-the-reset"}
    registered = client.post("/api/v1/me/devices", json=device, headers=patient.headers)
    assert registered.status_code == 201
    _, code = invite(patient=patient)

    body = {"invite_code": code, "password": STRONG_PASSWORD}
    assert client.post("/api/v1/auth/activate", json=body).status_code == 201

    [notice] = _pushes_after_tick(app)
    assert (notice.channel, notice.kind, notice.recipient_id) == (
        "push",
        "password_reset",
        patient.id,
    )
    assert [token for _, _, token in notice.devices] == [device["token"]]
    assert notice.title == "Şifreniz değiştirildi"
    assert "kliniğinizi arayın" in notice.body
    assert _pushes_after_tick(app) == []  # sent once


def test_a_first_activation_sends_no_reset_notice(
    app: Flask, client: FlaskClient, invite: Callable[..., tuple[UserHandle, str]]
) -> None:
    patient, code = invite()
    with app.app_context():
        db.session.get(User, patient.id).password_hash = None  # never activated
        db.session.commit()

    body = {"invite_code": code, "password": STRONG_PASSWORD}
    assert client.post("/api/v1/auth/activate", json=body).status_code == 201

    assert _pushes_after_tick(app) == []
