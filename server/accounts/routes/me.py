"""The patient's own profile and preferences, and any user's password change."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView
from flask_jwt_extended import get_jwt

from server.access import AUTHENTICATED, PATIENT, allow, current_actor
from server.accounts import services, sessions
from server.accounts.limits import (
    password_change_rate_limited,
)
from server.accounts.routes.blueprint import blp
from server.accounts.schemas import (
    MeOut,
    PasswordChangeIn,
    PreferencesIn,
)


@blp.route("/me")
class Me(MethodView):
    @allow(PATIENT)
    @blp.response(200, MeOut)
    @blp.doc(operationId="getMyProfile")
    def get(self) -> Any:
        """The patient's profile and preferences.

        Patients only: profile, clinic (with its emergency number) and preferences, and `consent`:
        whether to show the consent text in force and ask again (`consent_required`).
        """
        return services.get_me(actor=current_actor())


@blp.route("/me/preferences")
class MyPreferences(MethodView):
    @allow(PATIENT)
    @blp.arguments(PreferencesIn)
    @blp.response(200, MeOut)
    @blp.doc(operationId="updateMyPreferences")
    def patch(self, body: dict[str, Any]) -> Any:
        """Change time zone, language, reminders, quiet hours or working hours.

        Send only what changes. Reminders are re-planned at once in the new time zone or hours.
        """
        return services.update_preferences(actor=current_actor(), changes=body)


@blp.route("/me/password")
class MyPassword(MethodView):
    @allow(AUTHENTICATED)
    @password_change_rate_limited
    @blp.arguments(PasswordChangeIn)
    @blp.response(204)
    @blp.alt_response(422, description="A wrong current_password or a weak new_password.")
    @blp.alt_response(429, description="Too many failed attempts; see Retry-After.")
    @blp.doc(operationId="changeMyPassword")
    def post(self, body: dict[str, Any]) -> None:
        """Change your password (any role); your other sessions end, this one stays.

        Any role. Needs the current password; every other session of the caller ends, this one
        stays.
        """
        sessions.change_password(
            actor=current_actor(), session_id=uuid.UUID(get_jwt()["fam"]), **body
        )
