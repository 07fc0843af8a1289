"""Changing one's own password, and logins upgrading hashes made with older argon2 parameters."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher, extract_parameters
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from server.accounts.models import TokenFamily, User
from server.accounts.passwords import password_problems, use_password_hasher
from server.audit.models import AuditEvent
from server.extensions import db
from tests.accounts.helpers import STRONG_PASSWORD, bearer, login
from tests.conftest import CHEAP_HASHER, make_test_app
from tests.factories import UserHandle

PROBLEM = "application/problem+json"
ROLES = ("patient", "therapist", "clinic_admin")


@pytest.fixture
def make_user(
    make_patient: Callable[..., UserHandle], make_staff: Callable[..., UserHandle]
) -> Callable[[str], UserHandle]:
    """``make_user(role)``: a patient, therapist or clinic admin with an open session."""
    return lambda role: make_patient() if role == "patient" else make_staff(role=role)


def change(
    client: FlaskClient, user: UserHandle, current: str, new: str, token: str | None = None
) -> TestResponse:
    body = {"current_password": current, "new_password": new}
    return client.post("/api/v1/me/password", json=body, headers=bearer(token or user.access_token))


def stored_hash(app: Flask, user_id: uuid.UUID) -> str:
    with app.app_context():
        return db.session.get(User, user_id).password_hash


def audit_rows(app: Flask, user_id: uuid.UUID, action: str) -> list[AuditEvent]:
    with app.app_context():
        rows = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.actor_id == user_id, AuditEvent.action == action)
        ).all()
        db.session.expunge_all()
        return list(rows)


# --- changing the password ----------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_role_changes_its_password_and_logs_in_with_the_new_one(
    client: FlaskClient, make_user: Callable[[str], UserHandle], role: str
) -> None:
    user = make_user(role)
    response = change(client, user, user.password, STRONG_PASSWORD)
    assert response.status_code == 204
    assert response.data == b""
    assert login(client, user.email, STRONG_PASSWORD).status_code == 200
    assert login(client, user.email, user.password).status_code == 401


def test_a_wrong_current_password_is_a_field_error_and_changes_nothing(
    app: Flask, client: FlaskClient, make_patient: Callable[..., UserHandle]
) -> None:
    patient = make_patient()
    other_device = login(client, patient.email, patient.password).json
    before = stored_hash(app, patient.id)
    response = change(client, patient, "not-the-password", STRONG_PASSWORD)
    assert response.status_code == 422
    assert response.content_type == PROBLEM
    assert list(response.json["errors"]) == ["current_password"]
    assert stored_hash(app, patient.id) == before
    assert client.get("/api/v1/me", headers=bearer(other_device["access_token"])).status_code == 200
    assert audit_rows(app, patient.id, "auth.password_change") == []


@pytest.mark.parametrize("weak", ["short", "aaaaaaaaaaaaaa", " padded-password "])
def test_a_weak_new_password_is_a_field_error_with_the_policy_messages(
    app: Flask, client: FlaskClient, make_staff: Callable[..., UserHandle], weak: str
) -> None:
    therapist = make_staff()
    before = stored_hash(app, therapist.id)
    response = change(client, therapist, therapist.password, weak)
    assert response.status_code == 422
    assert response.content_type == PROBLEM
    assert response.json["errors"] == {"new_password": password_problems(weak)}
    assert stored_hash(app, therapist.id) == before


def test_other_sessions_end_and_this_one_goes_on(
    app: Flask, client: FlaskClient, make_patient: Callable[..., UserHandle]
) -> None:
    patient = make_patient()
    other_device = login(client, patient.email, patient.password).json
    assert change(client, patient, patient.password, STRONG_PASSWORD).status_code == 204

    assert client.get("/api/v1/me", headers=bearer(other_device["access_token"])).status_code == 401
    refused = client.post("/api/v1/auth/refresh", headers=bearer(other_device["refresh_token"]))
    assert refused.status_code == 401

    assert client.get("/api/v1/me", headers=patient.headers).status_code == 200
    rotated = client.post("/api/v1/auth/refresh", headers=bearer(patient.refresh_token))
    assert rotated.status_code == 200
    assert client.get("/api/v1/me", headers=bearer(rotated.json["access_token"])).status_code == 200
    with app.app_context():
        reasons = db.session.scalars(
            sa.select(TokenFamily.revoked_reason).where(TokenFamily.user_id == patient.id)
        ).all()
    assert len(reasons) == 2
    assert set(reasons) == {None, "password_change"}


@pytest.mark.parametrize("role", ROLES)
def test_the_change_is_audited_with_identifiers_only(
    app: Flask, client: FlaskClient, make_user: Callable[[str], UserHandle], role: str
) -> None:
    user = make_user(role)
    assert change(client, user, user.password, STRONG_PASSWORD).status_code == 204
    [row] = audit_rows(app, user.id, "auth.password_change")
    assert (row.clinic_id, row.actor_role) == (user.clinic_id, role)
    assert (row.object_type, row.object_id) == ("user", str(user.id))
    assert row.patient_id == (user.id if role == "patient" else None)
    stored = " ".join(str(getattr(row, c.key)) for c in AuditEvent.__table__.columns)
    for secret in (user.password, STRONG_PASSWORD, user.email):
        assert secret not in stored


# --- the per-account rate limit, shared with login ------------------------------------------


@pytest.fixture
def limited_app(app: Flask, database_url: str) -> Iterator[Flask]:
    """The app with 2 failed attempts per account and minute."""
    limited = make_test_app(database_url, LOGIN_ACCOUNT_RATE_LIMIT="2 per minute")
    yield limited
    with limited.app_context():
        db.engine.dispose()


def test_failed_changes_use_up_the_accounts_login_limit(
    limited_app: Flask, make_patient: Callable[..., UserHandle]
) -> None:
    client = limited_app.test_client()
    patient, neighbour = make_patient(), make_patient()
    for guess in ("guess-number-1", "guess-number-2"):
        assert change(client, patient, guess, STRONG_PASSWORD).status_code == 422
    blocked = change(client, patient, patient.password, STRONG_PASSWORD)
    assert blocked.status_code == 429
    assert blocked.content_type == PROBLEM
    assert 0 < int(blocked.headers["Retry-After"]) <= 60
    assert login(client, patient.email, patient.password).status_code == 429
    # Another account's bucket is untouched.
    assert change(client, neighbour, neighbour.password, STRONG_PASSWORD).status_code == 204


def test_a_weak_new_password_costs_no_attempt(
    limited_app: Flask, make_patient: Callable[..., UserHandle]
) -> None:
    """Only a wrong current password counts: retrying new passwords never locks the owner out."""
    client = limited_app.test_client()
    patient = make_patient()
    for weak in ("short", "tiny", "aaaaaaaaaaaaaa"):
        assert change(client, patient, patient.password, weak).status_code == 422
    assert login(client, patient.email, patient.password).status_code == 200
    assert change(client, patient, patient.password, STRONG_PASSWORD).status_code == 204


def test_failed_logins_also_block_changes(
    limited_app: Flask, make_staff: Callable[..., UserHandle]
) -> None:
    client = limited_app.test_client()
    therapist = make_staff()
    for guess in ("guess-number-1", "guess-number-2"):
        assert login(client, therapist.email.upper(), guess).status_code == 401
    assert change(client, therapist, therapist.password, STRONG_PASSWORD).status_code == 429


# --- rehash on login ----------------------------------------------------------------------

STRONGER_HASHER = PasswordHasher(time_cost=2, memory_cost=512, parallelism=1)


def parameters_of(password_hash: str) -> tuple[int, int, int]:
    found = extract_parameters(password_hash)
    return found.time_cost, found.memory_cost, found.parallelism


def configured(hasher: PasswordHasher) -> tuple[int, int, int]:
    return hasher.time_cost, hasher.memory_cost, hasher.parallelism


def raise_argon2_parameters() -> None:
    """Configure stronger parameters (conftest's autouse ``cheap_password_hashing`` restores)."""
    use_password_hasher(STRONGER_HASHER)


def test_a_login_rehashes_a_hash_made_with_older_parameters(
    app: Flask, client: FlaskClient, make_staff: Callable[..., UserHandle]
) -> None:
    therapist = make_staff()
    old = stored_hash(app, therapist.id)
    assert parameters_of(old) == configured(CHEAP_HASHER)
    raise_argon2_parameters()
    assert login(client, therapist.email, therapist.password).status_code == 200
    new = stored_hash(app, therapist.id)
    assert parameters_of(new) == configured(STRONGER_HASHER)
    assert STRONGER_HASHER.verify(new, therapist.password)
    assert login(client, therapist.email, therapist.password).status_code == 200
    assert stored_hash(app, therapist.id) == new


def test_a_failed_login_leaves_an_old_hash_alone(
    app: Flask, client: FlaskClient, make_patient: Callable[..., UserHandle]
) -> None:
    patient = make_patient()
    old = stored_hash(app, patient.id)
    raise_argon2_parameters()
    assert login(client, patient.email, "not-the-password").status_code == 401
    assert stored_hash(app, patient.id) == old


def test_a_login_keeps_a_hash_made_with_the_current_parameters(
    app: Flask, client: FlaskClient, make_patient: Callable[..., UserHandle]
) -> None:
    patient = make_patient()
    old = stored_hash(app, patient.id)
    assert login(client, patient.email, patient.password).status_code == 200
    assert stored_hash(app, patient.id) == old


def test_a_password_changed_while_a_login_verified_the_old_one_opens_no_session(
    app: Flask,
    client: FlaskClient,
    make_staff: Callable[..., UserHandle],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The owner changes the password (another request, committed) while an attacker's login
    with the old one is inside argon2: the login must not open a session that outlives the
    change, which revoked every session open at the time."""
    from server.accounts import sessions
    from server.accounts.passwords import hash_password

    therapist = make_staff()
    verify = sessions.verify_password

    def sessions_opened() -> int:
        with app.app_context():
            return db.session.scalar(
                sa.select(sa.func.count())
                .select_from(TokenFamily)
                .where(TokenFamily.user_id == therapist.id)
            )

    before = sessions_opened()

    def verify_while_the_owner_changes_it(stored: str | None, password: str) -> bool:
        verified = verify(stored, password)
        with db.engine.begin() as connection:  # another request's committed change
            connection.execute(
                sa.update(User)
                .where(User.id == therapist.id)
                .values(password_hash=hash_password("the-owners-new-passphrase"))
            )
        return verified

    monkeypatch.setattr(sessions, "verify_password", verify_while_the_owner_changes_it)
    response = login(client, therapist.email, therapist.password)
    assert response.status_code == 401, response.json
    assert sessions_opened() == before
