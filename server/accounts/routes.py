"""HTTP routes of the accounts domain: auth, patients, staff and the patient's own profile."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView
from flask_jwt_extended import get_jwt, verify_jwt_in_request

from server.access import ADMIN, AUTHENTICATED, PATIENT, PUBLIC, STAFF, allow, current_actor
from server.accounts import invitations, services, sessions
from server.accounts.limits import (
    activate_rate_limited,
    login_rate_limited,
    password_change_rate_limited,
)
from server.accounts.schemas import (
    ActivateIn,
    InvitationOut,
    LoginIn,
    MeOut,
    PasswordChangeIn,
    PatientDetailOut,
    PatientIn,
    PatientListArgs,
    PatientOut,
    PatientPatchIn,
    PreferencesIn,
    TherapistIn,
    TherapistOut,
    TherapistPatchIn,
    TokenPairOut,
)
from server.pagination import PageArgs, page_of
from server.routing import Blueprint

blp = Blueprint("accounts", __name__, url_prefix="/api/v1")
PatientPage = page_of(PatientOut, "PatientPage")
TherapistPage = page_of(TherapistOut, "TherapistPage")


def _tokens(pair: sessions.TokenPair) -> dict[str, Any]:
    return {
        "access_token": pair.access_token,
        "refresh_token": pair.refresh_token,
        "expires_in": pair.expires_in,
        "user": pair.user,
    }


# --- auth ---------------------------------------------------------------------------------


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
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Log in with email and password; returns an access and a refresh token."""
        pair = sessions.login(body["email"], body["password"], clinic_id=body["clinic_id"])
        return _tokens(pair)


@blp.route("/auth/refresh")
class Refresh(MethodView):
    @allow(PUBLIC)
    @blp.response(200, TokenPairOut)
    @blp.alt_response(401, description="Missing, expired, revoked or re-used refresh token.")
    @blp.doc(security=[{"bearerAuth": []}])
    def post(self) -> dict[str, Any]:
        """Exchange the refresh token (sent as the bearer token) for a new pair."""
        verify_jwt_in_request(refresh=True)
        claims = get_jwt()
        return _tokens(
            sessions.rotate_refresh_token(claims["jti"], family_id=uuid.UUID(claims["fam"]))
        )


@blp.route("/auth/logout")
class Logout(MethodView):
    @allow(PUBLIC)
    @blp.response(204)
    @blp.alt_response(401, description="Missing, expired or revoked token.")
    @blp.doc(security=[{"bearerAuth": []}])
    def post(self) -> None:
        """End this session: its refresh and access tokens stop working. Either token of the
        session may be the bearer, so an app whose access token has expired can still log out."""
        verify_jwt_in_request(verify_type=False)
        claims = get_jwt()
        sessions.logout(uuid.UUID(claims["fam"]), user_id=uuid.UUID(claims["sub"]))


@blp.route("/auth/activate")
class Activate(MethodView):
    @allow(PUBLIC)
    @activate_rate_limited
    @blp.arguments(ActivateIn)
    @blp.response(201, TokenPairOut)
    @blp.alt_response(404, description="Unknown code.")
    @blp.alt_response(410, description="Used, replaced or expired code.")
    @blp.alt_response(429, description="Too many attempts; see Retry-After.")
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Set a password from an invitation code; returns tokens for the patient."""
        return _tokens(invitations.activate_invitation(body["invite_code"], body["password"]))


# --- patients (staff) ---------------------------------------------------------------------


@blp.route("/patients")
class Patients(MethodView):
    @allow(STAFF)
    @blp.arguments(PatientListArgs, location="query")
    @blp.response(200, PatientPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The clinic's patients by name, each with a 7-day summary."""
        items, next_cursor = services.list_patients(actor=current_actor(), **args)
        return {"items": items, "next_cursor": next_cursor}

    @allow(STAFF)
    @blp.arguments(PatientIn)
    @blp.response(201, PatientDetailOut)
    @blp.alt_response(409, description="The email address is taken.")
    def post(self, body: dict[str, Any]) -> Any:
        """Create a patient in the caller's clinic (assigned to the caller by default)."""
        return services.create_patient(actor=current_actor(), **body)


@blp.route("/patients/<uuid:patient_id>")
class PatientDetail(MethodView):
    @allow(STAFF)
    @blp.response(200, PatientDetailOut)
    def get(self, patient_id: uuid.UUID) -> Any:
        """One patient with the summary and preferences."""
        return services.get_patient(patient_id, actor=current_actor())

    @allow(STAFF)
    @blp.arguments(PatientPatchIn)
    @blp.response(200, PatientDetailOut)
    def patch(self, body: dict[str, Any], patient_id: uuid.UUID) -> Any:
        """Change a patient's profile; reassigning the therapist is for clinic admins."""
        return services.update_patient(patient_id, actor=current_actor(), changes=body)


@blp.route("/patients/<uuid:patient_id>/invitations")
class PatientInvitations(MethodView):
    @allow(STAFF)
    @blp.response(201, InvitationOut)
    def post(self, patient_id: uuid.UUID) -> Any:
        """Issue a 7-day activation code; any older unused code stops working."""
        return invitations.create_invitation(patient_id, actor=current_actor())


# --- staff --------------------------------------------------------------------------------


@blp.route("/therapists")
class Therapists(MethodView):
    @allow(STAFF)
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, TherapistPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The therapists and admins of the caller's clinic."""
        items, next_cursor = services.list_staff(actor=current_actor(), **args)
        return {"items": items, "next_cursor": next_cursor}

    @allow(ADMIN)
    @blp.arguments(TherapistIn)
    @blp.response(201, TherapistOut)
    @blp.alt_response(409, description="The email address is taken.")
    def post(self, body: dict[str, Any]) -> Any:
        """Create a therapist or clinic admin in the caller's clinic (clinic admins only)."""
        actor = current_actor()
        return services.create_staff(clinic_id=actor.clinic_id, actor=actor, **body)


@blp.route("/therapists/<uuid:user_id>", methods=["PATCH"])
@allow(ADMIN)
@blp.arguments(TherapistPatchIn)
@blp.response(200, TherapistOut)
@blp.alt_response(409, description="The clinic would have no active admin left.")
def update_therapist(body: dict[str, Any], user_id: uuid.UUID) -> Any:
    """Change a therapist's or admin's name, language, role, or deactivate them (clinic admins
    only): a deactivated account's sessions end at once."""
    return services.update_staff(user_id, actor=current_actor(), changes=body)


# --- the patient's own profile ------------------------------------------------------------


@blp.route("/me")
class Me(MethodView):
    @allow(PATIENT)
    @blp.response(200, MeOut)
    def get(self) -> Any:
        """The patient's profile and preferences."""
        return services.get_me(actor=current_actor())


@blp.route("/me/preferences")
class MyPreferences(MethodView):
    @allow(PATIENT)
    @blp.arguments(PreferencesIn)
    @blp.response(200, MeOut)
    def patch(self, body: dict[str, Any]) -> Any:
        """Change time zone, language, reminders, quiet hours or working hours."""
        return services.update_preferences(actor=current_actor(), changes=body)


@blp.route("/me/password")
class MyPassword(MethodView):
    @allow(AUTHENTICATED)
    @password_change_rate_limited
    @blp.arguments(PasswordChangeIn)
    @blp.response(204)
    @blp.alt_response(422, description="A wrong current_password or a weak new_password.")
    @blp.alt_response(429, description="Too many failed attempts; see Retry-After.")
    def post(self, body: dict[str, Any]) -> None:
        """Change your password (any role); your other sessions end, this one stays."""
        sessions.change_password(
            actor=current_actor(), session_id=uuid.UUID(get_jwt()["fam"]), **body
        )
