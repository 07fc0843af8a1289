"""Issue 20 item 2 and issue 19's mobile list: a token family is bound to its user; the bearer
scheme in any case; one problem type per cause; two refreshes sent at once keep the session."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_jwt_extended import create_access_token, create_refresh_token, decode_token

from server.accounts.models import TokenFamily
from server.accounts.sessions import rotate_refresh_token
from server.clock import utcnow
from server.errors import AppError
from server.extensions import db
from tests.accounts.helpers import bearer
from tests.factories import UserHandle

PROBLEM = "application/problem+json"


def _claims_of(app: Flask, token: str) -> dict[str, Any]:
    with app.app_context():
        return decode_token(token, allow_expired=True)


def _forge(app: Flask, *, refresh: bool = False, sub: str, **claims: Any) -> str:
    """A token signed with the app's own key (a leaked key), with whatever claims we like."""
    with app.app_context():
        make = create_refresh_token if refresh else create_access_token
        return make(identity=sub, additional_claims=claims)


def _family_of(app: Flask, user: UserHandle) -> str:
    return _claims_of(app, user.access_token)["fam"]


@pytest.mark.parametrize("victim_role", ["therapist", "clinic_admin", "patient"])
def test_a_forged_token_naming_another_user_on_a_live_family_is_401(
    app: Flask,
    client: FlaskClient,
    make_staff: Callable[..., UserHandle],
    make_patient: Callable[..., UserHandle],
    victim_role: str,
) -> None:
    attacker = make_patient()  # a live session whose family id the forger borrows
    victim = make_patient() if victim_role == "patient" else make_staff(role=victim_role)
    forged = _forge(
        app,
        sub=str(victim.id),
        role=victim_role,
        clinic_id=str(victim.clinic_id),
        fam=_family_of(app, attacker),
    )
    path = "/api/v1/me" if victim_role == "patient" else "/api/v1/therapists"
    response = client.get(path, headers=bearer(forged))
    assert response.status_code == 401
    assert response.json["type"] == "/problems/token-revoked"
    # The borrowed session itself is untouched.
    assert client.get("/api/v1/me", headers=attacker.headers).status_code == 200


def test_a_forged_token_claiming_another_role_or_clinic_of_the_same_user_is_401(
    app: Flask,
    client: FlaskClient,
    make_staff: Callable[..., UserHandle],
    make_clinic: Callable[..., Any],
) -> None:
    therapist = make_staff()
    family = _family_of(app, therapist)
    other_clinic = make_clinic()
    for role, clinic_id in (
        ("clinic_admin", therapist.clinic_id),
        ("therapist", other_clinic.id),
        ("patient", therapist.clinic_id),
    ):
        forged = _forge(app, sub=str(therapist.id), role=role, clinic_id=str(clinic_id), fam=family)
        path = "/api/v1/me" if role == "patient" else "/api/v1/therapists"
        assert client.get(path, headers=bearer(forged)).status_code == 401, role


def test_a_forged_refresh_token_naming_another_user_cannot_rotate_a_family(
    app: Flask, client: FlaskClient, make_patient: Callable[..., UserHandle]
) -> None:
    attacker, victim = make_patient(), make_patient()
    forged = _forge(
        app,
        refresh=True,
        sub=str(victim.id),
        role="patient",
        clinic_id=str(victim.clinic_id),
        fam=_family_of(app, attacker),
    )
    response = client.post("/api/v1/auth/refresh", headers=bearer(forged))
    assert response.status_code == 401


def test_a_refresh_token_must_name_the_family_its_id_belongs_to(
    app: Flask, client: FlaskClient, make_patient: Callable[..., UserHandle]
) -> None:
    patient = make_patient()
    other_session = client.post(
        "/api/v1/auth/login", json={"email": patient.email, "password": patient.password}
    ).json
    # Own user and family, but the jti of the other session's refresh token.
    jti = _claims_of(app, other_session["refresh_token"])["jti"]
    with app.app_context():
        forged = create_refresh_token(
            identity=str(patient.id),
            additional_claims={
                "role": "patient",
                "clinic_id": str(patient.clinic_id),
                "fam": _family_of(app, patient),
                "jti": jti,
            },
        )
    assert client.post("/api/v1/auth/refresh", headers=bearer(forged)).status_code == 401


@pytest.mark.parametrize("missing", ["role", "clinic_id", "fam"])
@pytest.mark.parametrize("as_patient", [True, False], ids=["patient", "staff"])
def test_a_signed_token_missing_a_claim_is_401_not_500(
    app: Flask,
    client: FlaskClient,
    make_staff: Callable[..., UserHandle],
    make_patient: Callable[..., UserHandle],
    missing: str,
    as_patient: bool,
) -> None:
    user = make_patient() if as_patient else make_staff()
    claims = {
        "role": user.role,
        "clinic_id": str(user.clinic_id),
        "fam": _family_of(app, user),
    }
    del claims[missing]
    forged = _forge(app, sub=str(user.id), **claims)
    for path in ("/api/v1/me", "/api/v1/therapists", "/api/v1/auth/logout"):
        method = client.post if path.endswith("logout") else client.get
        response = method(path, headers=bearer(forged))
        assert response.status_code == 401, path
        assert response.json["type"] == "/problems/token-invalid", path


@pytest.mark.parametrize("value", ["not-a-uuid", 12, None])
def test_a_signed_token_with_a_malformed_subject_is_401(
    app: Flask, client: FlaskClient, make_staff: Callable[..., UserHandle], value: Any
) -> None:
    therapist = make_staff()
    with app.app_context():
        forged = create_access_token(
            identity=str(therapist.id),
            additional_claims={
                "role": "therapist",
                "clinic_id": value,
                "fam": _family_of(app, therapist),
            },
        )
    response = client.get("/api/v1/therapists", headers=bearer(forged))
    assert response.status_code == 401
    assert response.json["type"] == "/problems/token-invalid"


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "BeArEr"])
def test_the_bearer_scheme_is_accepted_in_any_case(
    client: FlaskClient, make_patient: Callable[..., UserHandle], scheme: str
) -> None:
    patient = make_patient()
    headers = {"Authorization": f"{scheme} {patient.access_token}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200


def test_each_auth_problem_has_its_own_type(
    app: Flask, client: FlaskClient, make_patient: Callable[..., UserHandle]
) -> None:
    patient = make_patient()
    claims = _claims_of(app, patient.access_token)
    with app.app_context():
        expired = create_access_token(
            identity=str(patient.id),
            additional_claims={k: claims[k] for k in ("role", "clinic_id", "fam")},
            expires_delta=timedelta(seconds=-60),
        )
    answers = {
        "missing": client.get("/api/v1/me"),
        "not bearer": client.get("/api/v1/me", headers={"Authorization": "Basic eDp5"}),
        "malformed": client.get("/api/v1/me", headers=bearer("not.a.jwt")),
        "expired": client.get("/api/v1/me", headers=bearer(expired)),
    }
    client.post("/api/v1/auth/logout", headers=patient.headers)
    answers["revoked"] = client.get("/api/v1/me", headers=patient.headers)
    types = {cause: r.json["type"] for cause, r in answers.items()}
    assert types == {
        "missing": "/problems/token-missing",
        "not bearer": "/problems/token-missing",
        "malformed": "/problems/token-invalid",
        "expired": "/problems/token-expired",
        "revoked": "/problems/token-revoked",
    }
    for response in answers.values():
        assert response.status_code == 401
        assert response.content_type == PROBLEM
        assert set(response.json) >= {"type", "title", "status", "detail"}
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def _refresh(client: FlaskClient, token: str):
    return client.post("/api/v1/auth/refresh", headers=bearer(token))


def test_two_refreshes_sent_at_once_with_one_token_both_succeed_and_the_session_lives(
    app: Flask, client: FlaskClient, make_patient: Callable[..., UserHandle]
) -> None:
    patient = make_patient()
    start = threading.Barrier(2)
    answers: list[Any] = [None, None]

    def refresh(i: int) -> None:
        start.wait(timeout=10)
        answers[i] = _refresh(app.test_client(), patient.refresh_token)

    threads = [threading.Thread(target=refresh, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert [a.status_code for a in answers] == [200, 200]
    family = _family_of(app, patient)
    for answer in answers:
        assert _claims_of(app, answer.json["access_token"])["fam"] == family
        assert (
            client.get("/api/v1/me", headers=bearer(answer.json["access_token"])).status_code == 200
        )
        assert _refresh(client, answer.json["refresh_token"]).status_code == 200
    with app.app_context():
        assert db.session.get(TokenFamily, uuid.UUID(family)).revoked_at is None


def test_a_refresh_token_re_used_after_the_grace_window_revokes_the_family(
    app: Flask, client: FlaskClient, make_patient: Callable[..., UserHandle]
) -> None:
    patient = make_patient()
    claims = _claims_of(app, patient.refresh_token)
    now = utcnow()
    with app.app_context():
        rotate_refresh_token(claims["jti"], now=now)
        again = rotate_refresh_token(claims["jti"], now=now + timedelta(seconds=2))
        db.session.commit()
        assert again.family_id == uuid.UUID(claims["fam"])
        with pytest.raises(AppError) as refused:
            rotate_refresh_token(claims["jti"], now=now + timedelta(minutes=1))
        assert refused.value.slug == "token-revoked"
        db.session.commit()  # what the request's edge does with keep_changes
        family = db.session.scalar(sa.select(TokenFamily).where(TokenFamily.user_id == patient.id))
        assert family.revoked_reason == "refresh_reuse"
    assert client.get("/api/v1/me", headers=patient.headers).status_code == 401


def test_the_grace_window_is_configurable(
    app: Flask, client: FlaskClient, make_patient: Callable[..., UserHandle]
) -> None:
    app.config["REFRESH_REUSE_GRACE_SECONDS"] = 0
    patient = make_patient()
    assert _refresh(client, patient.refresh_token).status_code == 200
    replay = _refresh(client, patient.refresh_token)
    assert replay.status_code == 401
    assert replay.json["type"] == "/problems/token-revoked"


def test_a_token_forged_with_the_development_key_naming_another_user_is_401(
    database_url: str, app: Flask, make_patient: Callable[..., UserHandle]
) -> None:
    """The acceptance case: a server left on the public development key (its tokens can be
    forged by anyone), a live session of the forger's own, and a token naming someone else."""
    import jwt as pyjwt

    from server.config import DEV_SECRET
    from tests.conftest import make_test_app

    forger, victim = make_patient(), make_patient()
    dev_app = make_test_app(database_url, SECRET_KEY=DEV_SECRET, JWT_SECRET_KEY=DEV_SECRET)
    client = dev_app.test_client()
    session = client.post(
        "/api/v1/auth/login", json={"email": forger.email, "password": forger.password}
    ).json
    with dev_app.app_context():
        family = decode_token(session["access_token"])["fam"]
    now = int(utcnow().timestamp())
    forged = pyjwt.encode(
        {
            "sub": str(victim.id),
            "role": "patient",
            "clinic_id": str(victim.clinic_id),
            "fam": family,
            "type": "access",
            "fresh": False,
            "jti": str(uuid.uuid4()),
            "iat": now,
            "nbf": now,
            "exp": now + 600,
        },
        DEV_SECRET,
        algorithm="HS256",
    )
    assert client.get("/api/v1/me", headers=bearer(session["access_token"])).status_code == 200
    response = client.get("/api/v1/me", headers=bearer(forged))
    assert response.status_code == 401
    assert victim.email not in response.get_data(as_text=True)
    with dev_app.app_context():
        db.engine.dispose()
