"""PRODUCT.md §2 Auth: login, refresh rotation, re-use detection, logout and expiry."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_jwt_extended import create_access_token

from server.accounts.models import TokenFamily, User
from server.accounts.sessions import start_session
from server.extensions import db
from server.tracking.models import PainRating
from tests.accounts.helpers import bearer, login
from tests.conftest import make_test_app
from tests.factories import UserHandle

PROBLEM = "application/problem+json"


def test_login_returns_a_token_pair_and_the_user(
    client: FlaskClient, make_staff: Callable[..., UserHandle]
) -> None:
    therapist = make_staff()
    response = login(client, therapist.email.upper(), therapist.password)
    assert response.status_code == 200
    body = response.json
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 15 * 60
    assert body["user"] == {
        "id": str(therapist.id),
        "role": "therapist",
        "clinic_id": str(therapist.clinic_id),
    }
    me = client.get("/api/v1/therapists", headers=bearer(body["access_token"]))
    assert me.status_code == 200


def test_unknown_email_and_wrong_password_get_the_same_401(
    client: FlaskClient, make_staff: Callable[..., UserHandle]
) -> None:
    therapist = make_staff()
    wrong_password = login(client, therapist.email, "not-the-password")
    unknown_email = login(client, "nobody@clinic.example", therapist.password)
    for response in (wrong_password, unknown_email):
        assert response.status_code == 401
        assert response.content_type == PROBLEM
    assert wrong_password.json == unknown_email.json


def test_a_patient_without_a_password_cannot_log_in(
    app: Flask, client: FlaskClient, make_patient: Callable[..., UserHandle]
) -> None:
    from server.accounts.models import User

    patient = make_patient()
    with app.app_context():
        db.session.get(User, patient.id).password_hash = None
        db.session.commit()
    assert login(client, patient.email, "").status_code == 422
    assert login(client, patient.email, patient.password).status_code == 401


def _refresh(client: FlaskClient, refresh_token: str):
    return client.post("/api/v1/auth/refresh", headers=bearer(refresh_token))


def test_refresh_rotates_the_refresh_token(
    client: FlaskClient, make_patient: Callable[..., UserHandle]
) -> None:
    patient = make_patient()
    first = _refresh(client, patient.refresh_token)
    assert first.status_code == 200
    assert first.json["refresh_token"] != patient.refresh_token
    second = _refresh(client, first.json["refresh_token"])
    assert second.status_code == 200
    assert client.get("/api/v1/me", headers=bearer(second.json["access_token"])).status_code == 200


def test_reusing_a_rotated_refresh_token_revokes_the_whole_family(
    app: Flask, client: FlaskClient, make_patient: Callable[..., UserHandle]
) -> None:
    app.config["REFRESH_REUSE_GRACE_SECONDS"] = 0  # the re-use comes after the grace window
    patient = make_patient()
    rotated = _refresh(client, patient.refresh_token).json
    replay = _refresh(client, patient.refresh_token)
    assert replay.status_code == 401
    assert replay.content_type == PROBLEM
    # Every token of the family is dead now: the new refresh token and both access tokens.
    assert _refresh(client, rotated["refresh_token"]).status_code == 401
    for access in (patient.access_token, rotated["access_token"]):
        assert client.get("/api/v1/me", headers=bearer(access)).status_code == 401
    with app.app_context():
        family = db.session.scalar(sa.select(TokenFamily).where(TokenFamily.user_id == patient.id))
        assert family.revoked_reason == "refresh_reuse"


def test_reuse_revokes_only_that_session(
    app: Flask, client: FlaskClient, make_patient: Callable[..., UserHandle]
) -> None:
    app.config["REFRESH_REUSE_GRACE_SECONDS"] = 0  # the re-use comes after the grace window
    patient = make_patient()
    other_session = login(client, patient.email, patient.password).json
    _refresh(client, patient.refresh_token)
    _refresh(client, patient.refresh_token)
    still_valid = client.get("/api/v1/me", headers=bearer(other_session["access_token"]))
    assert still_valid.status_code == 200


def test_logout_revokes_the_session_and_its_access_token(
    client: FlaskClient, make_staff: Callable[..., UserHandle]
) -> None:
    therapist = make_staff()
    response = client.post("/api/v1/auth/logout", headers=therapist.headers)
    assert response.status_code == 204
    assert response.data == b""
    assert client.get("/api/v1/therapists", headers=therapist.headers).status_code == 401
    assert _refresh(client, therapist.refresh_token).status_code == 401


def test_the_refresh_token_also_logs_out(
    client: FlaskClient, make_patient: Callable[..., UserHandle]
) -> None:
    """An app whose 15-minute access token has expired can still end its session."""
    patient = make_patient()
    response = client.post("/api/v1/auth/logout", headers=bearer(patient.refresh_token))
    assert response.status_code == 204
    assert client.get("/api/v1/me", headers=patient.headers).status_code == 401
    assert _refresh(client, patient.refresh_token).status_code == 401


def test_logout_needs_a_live_token_of_the_session(
    client: FlaskClient, make_patient: Callable[..., UserHandle]
) -> None:
    patient = make_patient()
    assert client.post("/api/v1/auth/logout").status_code == 401
    assert client.post("/api/v1/auth/logout", headers=bearer("not-a-token")).status_code == 401
    assert client.post("/api/v1/auth/logout", headers=patient.headers).status_code == 204
    again = client.post("/api/v1/auth/logout", headers=bearer(patient.refresh_token))
    assert again.status_code == 401
    assert again.json["detail"] == "The token has been revoked."


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/v1/me"), ("GET", "/api/v1/me/plan"), ("POST", "/api/v1/me/pain-ratings")],
)
def test_a_logged_out_patients_access_token_is_refused_everywhere(
    app: Flask,
    client: FlaskClient,
    make_patient: Callable[..., UserHandle],
    method: str,
    path: str,
) -> None:
    """A patient's token check also loads the patient's own row (one query); revocation must
    still win over it, and nothing may be written.
    """
    patient = make_patient()
    assert client.post("/api/v1/auth/logout", headers=patient.headers).status_code == 204
    rating = {"id": str(uuid.uuid4()), "recorded_at": datetime.now(UTC).isoformat(), "score": 3}
    body = {"json": rating | {"context": "now"}} if method == "POST" else {}

    response = client.open(path, method=method, headers=patient.headers, **body)

    assert response.status_code == 401
    assert response.json["detail"] == "The token has been revoked."
    with app.app_context():
        stored = db.session.scalar(sa.select(sa.func.count()).select_from(PainRating))
    assert stored == 0


def test_a_live_patient_token_without_a_profile_is_not_taken_for_revoked(
    app: Flask, client: FlaskClient, make_staff: Callable[..., UserHandle]
) -> None:
    """The token check outer-joins the patient's row: a missing row is a 404 from the view,
    never a 401 from the check.
    """
    clinic_id = make_staff().clinic_id
    with app.app_context():
        user = User(clinic_id=clinic_id, email="noprofile@mail.example", name="N", role="patient")
        db.session.add(user)
        db.session.flush()
        access = start_session(user).access_token
        db.session.commit()

    assert client.get("/api/v1/me/plan", headers=bearer(access)).status_code == 404


def test_a_patient_token_naming_another_clinic_loads_nothing(
    app: Flask, client: FlaskClient, make_patient: Callable[..., UserHandle]
) -> None:
    """A token naming a clinic its family was not issued for is refused outright (issue 20:
    the family is bound to its user's role and clinic), so no patient row is loaded."""
    patient = make_patient()
    with app.app_context():
        family_id = start_session(db.session.get_one(User, patient.id)).family_id
        db.session.commit()
        claims = {"role": "patient", "clinic_id": str(uuid.uuid4()), "fam": str(family_id)}
        access = create_access_token(identity=str(patient.id), additional_claims=claims)

    assert client.get("/api/v1/me/plan", headers=bearer(access)).status_code == 401


def test_tokens_of_the_wrong_type_are_refused(
    client: FlaskClient, make_patient: Callable[..., UserHandle]
) -> None:
    patient = make_patient()
    assert _refresh(client, patient.access_token).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(patient.refresh_token)).status_code == 401
    assert client.post("/api/v1/auth/refresh").status_code == 401
    assert client.get("/api/v1/me", headers=bearer("not-a-jwt")).status_code == 401


@pytest.fixture
def expired_app(app: Flask, database_url: str) -> Iterator[Flask]:
    """A second app on the same database whose new tokens are already expired."""
    expired = make_test_app(
        database_url,
        JWT_ACCESS_TOKEN_EXPIRES=timedelta(seconds=-5),
        JWT_REFRESH_TOKEN_EXPIRES=timedelta(seconds=-5),
    )
    yield expired
    with expired.app_context():
        db.engine.dispose()


def test_expired_access_and_refresh_tokens_get_401(
    expired_app: Flask, client: FlaskClient, make_patient: Callable[..., UserHandle]
) -> None:
    patient = make_patient()
    from server.accounts.models import User

    with expired_app.app_context():
        pair = start_session(db.session.get(User, patient.id))
        db.session.commit()
    response = client.get("/api/v1/me", headers=bearer(pair.access_token))
    assert response.status_code == 401
    assert response.json["detail"] == "The token has expired."
    assert _refresh(client, pair.refresh_token).status_code == 401


def test_access_tokens_live_15_minutes_and_refresh_tokens_30_days(app: Flask) -> None:
    assert app.config["JWT_ACCESS_TOKEN_EXPIRES"] == timedelta(minutes=15)
    assert app.config["JWT_REFRESH_TOKEN_EXPIRES"] == timedelta(days=30)


def test_a_remembered_access_token_is_refused_once_it_expires(
    client: FlaskClient, make_patient: Callable[..., UserHandle], monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from server.accounts import tokens

    patient = make_patient()
    assert client.get("/api/v1/me", headers=patient.headers).status_code == 200  # remembered
    assert client.get("/api/v1/me", headers=patient.headers).status_code == 200
    later = time.time() + 16 * 60
    monkeypatch.setattr(tokens, "_now", lambda: later)
    monkeypatch.setattr("jwt.api_jwt.datetime", _FrozenDatetime.at(later))
    response = client.get("/api/v1/me", headers=patient.headers)
    assert response.status_code == 401
    assert response.json["detail"] == "The token has expired."


def test_a_tokens_header_is_decoded_once_not_per_request(
    client: FlaskClient, make_patient: Callable[..., UserHandle], monkeypatch: pytest.MonkeyPatch
) -> None:
    import jwt
    from flask_jwt_extended import get_jwt_header, verify_jwt_in_request

    decoded: list[str] = []
    real = jwt.get_unverified_header
    monkeypatch.setattr(jwt, "get_unverified_header", lambda t: decoded.append(t) or real(t))
    patient = make_patient()
    seen = []
    for _ in range(3):
        assert client.get("/api/v1/me", headers=patient.headers).status_code == 200
        with client.application.test_request_context(headers=patient.headers):
            verify_jwt_in_request()
            seen.append(get_jwt_header())
    token = patient.headers["Authorization"].removeprefix("Bearer ")
    assert seen == [{"alg": "HS256", "typ": "JWT"}] * 3
    assert decoded.count(token) == 2  # once verifying (not remembered yet), once the header


class _FrozenDatetime:
    """PyJWT's clock (``datetime.now``) moved to a fixed instant."""

    @staticmethod
    def at(timestamp: float) -> type:
        from datetime import UTC, datetime

        class Frozen(datetime):
            @classmethod
            def now(cls, tz=None):
                return datetime.fromtimestamp(timestamp, tz or UTC)

        return Frozen


def _select_list(statement: str) -> str:
    return re.split(r"\sFROM\s", statement, maxsplit=1)[0]


def test_the_token_check_joins_the_patients_account_on_reads_only(
    app: Flask, client: FlaskClient, make_patient: Callable[..., UserHandle]
) -> None:
    """Reads show the account (name, language), so its row comes with the token check; writes
    load it only when they use it, and then still answer from it."""
    patient = make_patient()
    selects: list[str] = []

    def record(_connection, _cursor, statement: str, *_args) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    def token_check(send: Callable[[], Any]) -> tuple[Any, list[str]]:
        selects.clear()
        response = send()
        assert response.status_code < 300, response.get_json()
        return response, [s for s in selects if "token_families" in s]

    rating = {"recorded_at": datetime.now(UTC).isoformat(), "score": 3, "context": "now"}
    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        _, on_read = token_check(lambda: client.get("/api/v1/me", headers=patient.headers))
        reads_selects = list(selects)
        _, on_record = token_check(
            lambda: client.post(
                "/api/v1/me/pain-ratings",
                headers=patient.headers,
                json=rating | {"id": str(uuid.uuid4())},
            )
        )
        record_selects = list(selects)
        changed, on_change = token_check(
            lambda: client.patch(
                "/api/v1/me/preferences", headers=patient.headers, json={"language": "en"}
            )
        )
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)

    assert len(on_read) == 1
    assert "JOIN users" in on_read[0]
    assert not any("FROM users" in s or "JOIN users" in s for s in reads_selects[1:])
    # The users table is only consulted to bind the family to its subject (issue 20), by
    # primary key: no column of the account is loaded.
    assert len(on_record) == 1
    assert "users" not in _select_list(on_record[0])
    assert "bearer." not in _select_list(on_record[0])
    assert record_selects == on_record  # the record needs nothing else read
    assert len(on_change) == 1
    assert "users" not in _select_list(on_change[0])
    assert changed.json["preferences"]["language"] == "en"  # the account, loaded on first use
