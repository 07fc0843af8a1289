"""Log in, refresh, log out and activate an invitation: the token pair and its cookie."""

from __future__ import annotations

import uuid
from typing import Any

from flask import request
from flask.views import MethodView
from flask_jwt_extended import get_jwt, verify_jwt_in_request

from server.access import PUBLIC, allow
from server.accounts import invitations, sessions
from server.accounts.cookies import (
    clear_refresh_cookie,
    deliver_refresh_cookie,
    use_cookie_as_bearer,
)
from server.accounts.limits import (
    activate_rate_limited,
    login_rate_limited,
)
from server.accounts.models import LANGUAGES
from server.accounts.routes.blueprint import blp
from server.accounts.schemas import (
    ActivateIn,
    LoginIn,
    TokenPairOut,
)
from server.routing import LOCATION, created


def _tokens(pair: sessions.TokenPair) -> dict[str, Any]:
    return {
        "access_token": pair.access_token,
        "refresh_token": pair.refresh_token,
        "expires_in": pair.expires_in,
        "user": pair.user,
    }


@blp.route("/auth/login")
class Login(MethodView):
    @allow(PUBLIC)
    @login_rate_limited
    @blp.arguments(LoginIn)
    @blp.response(200, TokenPairOut)
    @blp.alt_response(401, description="Wrong email or password.")
    @blp.alt_response(
        409, description="The address and password open accounts at several clinics: `clinics`."
    )
    @blp.alt_response(429, description="Too many attempts; see Retry-After.")
    @blp.doc(operationId="logIn")
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Log in with email and password; returns an access and a refresh token.

        Staff and activated patients log in here. The answer holds a 15-minute access token and a
        30-day refresh token. Too many attempts from one address or for one account answer 429 with
        `Retry-After`. When one address and password open accounts at several clinics, the answer
        is 409 with `clinics`; send `clinic_id` to choose. With `X-Token-Delivery: cookie` (the
        console), the refresh token comes as an HttpOnly cookie scoped to the refresh and logout
        paths, and `refresh_token` is empty.
        """
        pair = sessions.login(body["email"], body["password"], clinic_id=body["clinic_id"])
        return deliver_refresh_cookie(_tokens(pair))


@blp.route("/auth/refresh")
class Refresh(MethodView):
    @allow(PUBLIC)
    @blp.response(200, TokenPairOut)
    @blp.alt_response(401, description="Missing, expired, revoked or re-used refresh token.")
    @blp.doc(security=[{"bearerAuth": []}])
    @blp.doc(operationId="refreshTokens")
    def post(self) -> dict[str, Any]:
        """Exchange the refresh token (sent as the bearer token) for a new pair.

        Send the refresh token as the bearer token (or, with `X-Token-Delivery: cookie`, let the
        console's cookie carry it). The answer is a new pair; the old refresh token stops working.
        A refresh token re-used after its short grace window ends the whole session (401).
        """
        use_cookie_as_bearer()
        verify_jwt_in_request(refresh=True)
        claims = get_jwt()
        pair = sessions.rotate_refresh_token(claims["jti"], family_id=uuid.UUID(claims["fam"]))
        return deliver_refresh_cookie(_tokens(pair))


@blp.route("/auth/logout")
class Logout(MethodView):
    @allow(PUBLIC)
    @blp.response(204)
    @blp.alt_response(401, description="Missing, expired or revoked token.")
    @blp.doc(security=[{"bearerAuth": []}])
    @blp.doc(operationId="logOut")
    def post(self) -> None:
        """End this session: its refresh and access tokens stop working.

        Send the access or the refresh token as the bearer (or the console's cookie, with
        `X-Token-Delivery: cookie`). Both tokens of the session stop working at once, so an app
        whose access token has expired can still log out.
        """
        use_cookie_as_bearer()
        clear_refresh_cookie()
        verify_jwt_in_request(verify_type=False)
        claims = get_jwt()
        sessions.logout(uuid.UUID(claims["fam"]), user_id=uuid.UUID(claims["sub"]))


@blp.route("/auth/activate")
class Activate(MethodView):
    @allow(PUBLIC)
    @activate_rate_limited
    @blp.arguments(ActivateIn)
    @blp.response(201, TokenPairOut, headers=LOCATION)
    @blp.alt_response(404, description="Unknown code.")
    @blp.alt_response(409, description="`consent-not-current`: another consent text is in force.")
    @blp.alt_response(410, description="Used, replaced or expired code.")
    @blp.alt_response(429, description="Too many attempts; see Retry-After.")
    @blp.doc(operationId="activateAccount")
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Set a password from an invitation code; returns tokens for the patient.

        The patient types the code their therapist gave them and chooses a password. The code is
        single use and valid for 7 days: an unknown code is 404, a used, replaced or expired one
        410. Activating records the patient's consent to the consent text in force (GET
        /consents/current), in `consent_language` or the request's language; a `consent_version`
        that is not the one in force is 409 `consent-not-current`.
        """
        language = body["consent_language"] or request.accept_languages.best_match(LANGUAGES)
        pair = invitations.activate_invitation(
            body["invite_code"],
            body["password"],
            consent_version=body["consent_version"],
            consent_language=language,
        )
        return created(_tokens(pair), "/api/v1/me")
