"""The console's refresh token as an HttpOnly cookie, so no script ever holds it.

A client asks for it with ``X-Token-Delivery: cookie`` on login, refresh and logout; without
that header the API answers as before (the refresh token in the body, the bearer header read).
"""

from __future__ import annotations

from typing import Any

from flask import Response, after_this_request, current_app, request

COOKIE_NAME = "hep_refresh"
DELIVERY_HEADER = "X-Token-Delivery"
# The cookie goes only to the two operations that need it, never to the rest of the API.
COOKIE_PATHS = ("/api/v1/auth/refresh", "/api/v1/auth/logout")
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


def cookie_requested() -> bool:
    """Whether the client asked for the refresh token as a cookie rather than in the body."""
    return request.headers.get(DELIVERY_HEADER, "").strip().lower() == "cookie"


def _secure() -> bool:
    # Browsers refuse Secure cookies over plain HTTP; loopback is the one place that is served so.
    return request.is_secure or request.host.rsplit(":", 1)[0] not in LOOPBACK_HOSTS


def deliver_refresh_cookie(tokens: dict[str, Any]) -> dict[str, Any]:
    """Move the refresh token of a token-pair body into the cookie when the client asked."""
    if not cookie_requested():
        return tokens
    refresh, secure = tokens["refresh_token"], _secure()
    max_age = int(current_app.config["JWT_REFRESH_TOKEN_EXPIRES"].total_seconds())

    @after_this_request
    def _set(response: Response) -> Response:
        for path in COOKIE_PATHS:
            response.set_cookie(
                COOKIE_NAME, refresh, max_age=max_age, path=path,
                secure=secure, httponly=True, samesite="Strict",
            )  # fmt: skip
        return response

    return {**tokens, "refresh_token": ""}


def clear_refresh_cookie() -> None:
    """Expire the cookie on both of its paths (logout)."""
    if not cookie_requested():
        return
    secure = _secure()

    @after_this_request
    def _clear(response: Response) -> Response:
        for path in COOKIE_PATHS:
            response.delete_cookie(
                COOKIE_NAME, path=path, secure=secure, httponly=True, samesite="Strict"
            )
        return response


def use_cookie_as_bearer() -> None:
    """Let the usual bearer-token check read the cookie when the client sent no header."""
    token = request.cookies.get(COOKIE_NAME)
    if cookie_requested() and token and "Authorization" not in request.headers:
        # request.headers reads the WSGI environ live, so flask-jwt-extended's checks
        # (signature, expiry, type, revoked family) run on the cookie's token unchanged.
        request.environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"
