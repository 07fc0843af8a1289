"""The console's refresh token travels only as an HttpOnly, SameSite=Strict cookie scoped to the
refresh and logout paths; other clients keep the token in the body as before."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from server.accounts.cookies import COOKIE_NAME, COOKIE_PATHS
from tests.accounts.helpers import login
from tests.factories import UserHandle

AS_COOKIE = {"X-Token-Delivery": "cookie"}


def _set_cookie_headers(response) -> list[str]:
    return [v for v in response.headers.getlist("Set-Cookie") if v.startswith(COOKIE_NAME)]


def test_login_puts_the_refresh_token_in_a_scoped_httponly_cookie(
    client: FlaskClient, make_staff: Callable[..., UserHandle]
) -> None:
    therapist = make_staff()
    response = login(client, therapist.email, therapist.password, headers=AS_COOKIE)
    assert response.status_code == 200
    assert response.json["refresh_token"] == ""
    assert response.json["access_token"]
    cookies = _set_cookie_headers(response)
    assert sorted(c.split("Path=")[1].split(";")[0] for c in cookies) == sorted(COOKIE_PATHS)
    for cookie in cookies:
        assert "HttpOnly" in cookie
        assert "SameSite=Strict" in cookie
        assert "Secure" not in cookie  # served over plain HTTP on loopback


def test_the_cookie_is_secure_away_from_loopback(
    client: FlaskClient, make_staff: Callable[..., UserHandle]
) -> None:
    therapist = make_staff()
    response = login(
        client, therapist.email, therapist.password, headers=AS_COOKIE,
        base_url="http://console.example",
    )  # fmt: skip
    assert all("Secure" in c for c in _set_cookie_headers(response))


def test_without_the_header_the_body_keeps_the_refresh_token(
    client: FlaskClient, make_staff: Callable[..., UserHandle]
) -> None:
    therapist = make_staff()
    response = login(client, therapist.email, therapist.password)
    assert response.json["refresh_token"]
    assert _set_cookie_headers(response) == []


def test_refresh_by_cookie_rotates_and_a_replayed_cookie_ends_the_session(
    app: Flask, client: FlaskClient, make_staff: Callable[..., UserHandle]
) -> None:
    app.config["REFRESH_REUSE_GRACE_SECONDS"] = 0  # the replay comes after the grace window
    therapist = make_staff()
    login(client, therapist.email, therapist.password, headers=AS_COOKIE)
    first = client.get_cookie(COOKIE_NAME, path="/api/v1/auth/refresh").value
    refreshed = client.post("/api/v1/auth/refresh", headers=AS_COOKIE)
    assert refreshed.status_code == 200
    assert refreshed.json["refresh_token"] == ""
    assert client.get_cookie(COOKIE_NAME, path="/api/v1/auth/refresh").value != first
    # The cookie alone is not enough: without the header nothing reads it.
    assert client.post("/api/v1/auth/refresh").status_code == 401
    client.set_cookie(COOKIE_NAME, first, path="/api/v1/auth/refresh")
    assert client.post("/api/v1/auth/refresh", headers=AS_COOKIE).status_code == 401
    me = {"Authorization": f"Bearer {refreshed.json['access_token']}"}
    assert client.get("/api/v1/patients", headers=me).status_code == 401


def test_logout_by_cookie_revokes_the_session_and_clears_the_cookie(
    client: FlaskClient, make_staff: Callable[..., UserHandle]
) -> None:
    therapist = make_staff()
    access = login(client, therapist.email, therapist.password, headers=AS_COOKIE).json
    response = client.post("/api/v1/auth/logout", headers=AS_COOKIE)
    assert response.status_code == 204
    assert all("Expires=Thu, 01 Jan 1970" in c for c in _set_cookie_headers(response))
    assert client.get_cookie(COOKIE_NAME, path="/api/v1/auth/refresh") is None
    bearer = {"Authorization": f"Bearer {access['access_token']}"}
    assert client.get("/api/v1/patients", headers=bearer).status_code == 401
