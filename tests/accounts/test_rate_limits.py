"""Login and activation are rate-limited per client address and per account (PRODUCT.md §2)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from server.extensions import db, limiter
from tests.accounts.helpers import STRONG_PASSWORD, login
from tests.conftest import make_test_app
from tests.factories import UserHandle

PROBLEM = "application/problem+json"


@pytest.fixture
def limited_app(app: Flask, database_url: str) -> Iterator[Flask]:
    """The app with small limits: 4 per address, 2 failures per account, per minute."""
    limited = make_test_app(
        database_url,
        LOGIN_RATE_LIMIT="4 per minute",
        LOGIN_ACCOUNT_RATE_LIMIT="2 per minute",
        ACTIVATE_RATE_LIMIT="4 per minute",
        ACTIVATE_ACCOUNT_RATE_LIMIT="2 per minute",
    )
    yield limited
    with limited.app_context():
        db.engine.dispose()


def _from(address: str) -> dict[str, dict[str, str]]:
    return {"environ_base": {"REMOTE_ADDR": address}}


def _assert_429(response) -> None:
    assert response.status_code == 429
    assert response.content_type == PROBLEM
    assert response.json["status"] == 429
    assert 0 < int(response.headers["Retry-After"]) <= 60


def test_failed_logins_on_one_account_are_limited_from_any_address(
    limited_app: Flask, make_staff: Callable[..., UserHandle]
) -> None:
    client = limited_app.test_client()
    therapist = make_staff()
    assert login(client, therapist.email, "wrong-one", **_from("10.0.0.1")).status_code == 401
    assert login(client, therapist.email, "wrong-two", **_from("10.0.0.2")).status_code == 401
    blocked = login(client, therapist.email, therapist.password, **_from("10.0.0.3"))
    _assert_429(blocked)
    # Another account is not affected.
    other = make_staff()
    assert login(client, other.email, other.password, **_from("10.0.0.3")).status_code == 200


def test_successful_logins_do_not_use_up_the_account_limit(
    limited_app: Flask, make_staff: Callable[..., UserHandle]
) -> None:
    client = limited_app.test_client()
    therapist = make_staff()
    for n in range(3):
        response = login(client, therapist.email, therapist.password, **_from(f"10.0.1.{n}"))
        assert response.status_code == 200


def test_one_address_is_limited_across_accounts(
    limited_app: Flask, make_staff: Callable[..., UserHandle]
) -> None:
    client = limited_app.test_client()
    for n in range(4):
        response = login(client, f"user{n}@clinic.example", "whatever-it-is", **_from("10.0.2.1"))
        assert response.status_code == 401
    _assert_429(login(client, "user9@clinic.example", "whatever-it-is", **_from("10.0.2.1")))
    assert login(client, "user9@clinic.example", "x", **_from("10.0.2.2")).status_code == 401


def test_invalid_bodies_count_against_the_address(limited_app: Flask) -> None:
    client = limited_app.test_client()
    for n in range(4):
        body = {"email": f"user{n}@clinic.example", "password": 12345}
        response = client.post("/api/v1/auth/login", json=body, **_from("10.0.3.1"))
        assert response.status_code == 422
    _assert_429(client.post("/api/v1/auth/login", json={}, **_from("10.0.3.1")))


def test_bodies_without_an_email_share_one_bucket_per_address(limited_app: Flask) -> None:
    client = limited_app.test_client()
    for _ in range(2):
        assert client.post("/api/v1/auth/login", json={}, **_from("10.0.3.2")).status_code == 422
    _assert_429(client.post("/api/v1/auth/login", json={}, **_from("10.0.3.2")))
    assert client.post("/api/v1/auth/login", json={}, **_from("10.0.3.3")).status_code == 422


def test_activation_is_limited_per_code_and_per_address(limited_app: Flask) -> None:
    client = limited_app.test_client()
    body = {"invite_code": "ACDEFGHJKM", "password": STRONG_PASSWORD}
    for n in range(2):
        response = client.post("/api/v1/auth/activate", json=body, **_from(f"10.0.4.{n}"))
        assert response.status_code == 404
    _assert_429(client.post("/api/v1/auth/activate", json=body, **_from("10.0.4.9")))
    # The code's bucket ignores case and separators the patient may type.
    spaced = {**body, "invite_code": "acdef-ghjkm"}
    _assert_429(client.post("/api/v1/auth/activate", json=spaced, **_from("10.0.4.8")))
    for n in range(4):
        other = {**body, "invite_code": f"CODE{n}"}
        response = client.post("/api/v1/auth/activate", json=other, **_from("10.0.5.1"))
        assert response.status_code == 404
    _assert_429(
        client.post("/api/v1/auth/activate", json={**body, "invite_code": "X"}, **_from("10.0.5.1"))
    )


def test_default_limits_apply_without_overrides(
    client: FlaskClient, make_staff: Callable[..., UserHandle]
) -> None:
    therapist = make_staff()
    statuses = [login(client, therapist.email, "wrong-pass").status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]


def test_retry_after_is_sent_even_without_rate_limit_headers(
    app: Flask, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """errors.py derives Retry-After from the breached limit when the limiter adds no headers."""
    quiet = make_test_app(database_url, LOGIN_ACCOUNT_RATE_LIMIT="1 per minute")
    monkeypatch.setattr(limiter, "_headers_enabled", False)
    try:
        client = quiet.test_client()
        assert login(client, "a@clinic.example", "wrong-password").status_code == 401
        blocked = login(client, "a@clinic.example", "wrong-password")
        _assert_429(blocked)
        assert blocked.headers["Retry-After"] == "60"
        assert "X-RateLimit-Limit" not in blocked.headers
    finally:
        with quiet.app_context():
            db.engine.dispose()


def test_behind_a_trusted_proxy_each_client_has_its_own_address_limit(
    app: Flask, database_url: str
) -> None:
    """Every request reaches the API from the proxy's address; the limit follows the client's
    address from X-Forwarded-For, and a client cannot spoof past the proxy's own entry."""
    proxied = make_test_app(database_url, LOGIN_RATE_LIMIT="2 per minute", TRUSTED_PROXIES=1)
    client = proxied.test_client()
    proxy = {"REMOTE_ADDR": "10.9.9.9"}

    def via_proxy(forwarded_for: str):
        headers = {"X-Forwarded-For": forwarded_for}
        return login(client, "nobody@clinic.example", "x", headers=headers, environ_base=proxy)

    assert [via_proxy("203.0.113.1").status_code for _ in range(2)] == [401, 401]
    _assert_429(via_proxy("203.0.113.1"))
    # A forged first entry does not help: the proxy appended the client's real address last.
    _assert_429(via_proxy("198.51.100.7, 203.0.113.1"))
    assert via_proxy("203.0.113.2").status_code == 401  # another client, its own bucket
    with proxied.app_context():
        db.engine.dispose()


def test_every_limit_is_one_a_view_checks_itself(limited_app: Flask) -> None:
    """``init_limiter`` leaves out the extension's check before every request, which serves
    application, default and blueprint limits only: adding one needs that check back."""
    manager = limiter.limit_manager
    assert not manager.application_limits
    assert not manager.default_limits
    assert not manager._blueprint_limits
    assert limiter._check_request_limit not in limited_app.before_request_funcs[None]
