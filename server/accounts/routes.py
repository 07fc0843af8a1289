"""HTTP routes of the accounts domain: auth, patients, staff and the patient's own profile."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView
from flask_jwt_extended import get_jwt, verify_jwt_in_request

from server.access import ADMIN, AUTHENTICATED, PATIENT, PUBLIC, STAFF, allow, current_actor
from server.accounts import invitations, services, sessions
from server.accounts.cookies import (
    clear_refresh_cookie,
    deliver_refresh_cookie,
    use_cookie_as_bearer,
)
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
from server.routing import LOCATION, Blueprint, created

blp = Blueprint(
    "accounts",
    __name__,
    url_prefix="/api/v1",
    description="Log in, tokens, patients, invitations, staff and the patient's own profile",
)
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
    @blp.alt_response(410, description="Used, replaced or expired code.")
    @blp.alt_response(429, description="Too many attempts; see Retry-After.")
    @blp.doc(operationId="activateAccount")
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Set a password from an invitation code; returns tokens for the patient.

        The patient types the code their therapist gave them and chooses a password. The code is
        single use and valid for 7 days: an unknown code is 404, a used, replaced or expired one
        410.
        """
        pair = invitations.activate_invitation(body["invite_code"], body["password"])
        return created(_tokens(pair), "/api/v1/me")


# --- patients (staff) ---------------------------------------------------------------------


@blp.route("/patients")
class Patients(MethodView):
    @allow(STAFF)
    @blp.arguments(PatientListArgs, location="query")
    @blp.response(200, PatientPage)
    @blp.doc(operationId="listPatients")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The clinic's patients by name, each with a 7-day summary.

        Staff only, the caller's clinic. Sorted by name; each patient carries `adherence_7d`,
        `pain_7d_mean`, `open_flags` by severity and `last_activity_at`.
        """
        items, next_cursor = services.list_patients(actor=current_actor(), **args)
        return {"items": items, "next_cursor": next_cursor}

    @allow(STAFF)
    @blp.arguments(PatientIn)
    @blp.response(201, PatientDetailOut, headers=LOCATION)
    @blp.alt_response(409, description="The email address is taken.")
    @blp.doc(operationId="createPatient")
    def post(self, body: dict[str, Any]) -> Any:
        """Create a patient in the caller's clinic (assigned to the caller by default).

        Staff only. The patient belongs to the caller's clinic and is assigned to the caller, or to
        `therapist_id` (admins). Then issue an invitation so the patient can activate the app.
        """
        view = services.create_patient(actor=current_actor(), **body)
        return created(view, f"/api/v1/patients/{view.patient.id}")


@blp.route("/patients/<uuid:patient_id>")
class PatientDetail(MethodView):
    @allow(STAFF)
    @blp.response(200, PatientDetailOut)
    @blp.doc(operationId="getPatient")
    def get(self, patient_id: uuid.UUID) -> Any:
        """One patient with the summary and preferences.

        Staff of the patient's clinic. Reading a patient is audited.
        """
        return services.get_patient(patient_id, actor=current_actor())

    @allow(STAFF)
    @blp.arguments(PatientPatchIn)
    @blp.response(200, PatientDetailOut)
    @blp.doc(operationId="updatePatient")
    def patch(self, body: dict[str, Any], patient_id: uuid.UUID) -> Any:
        """Change a patient's profile; reassigning the therapist is for clinic admins.

        Send only the fields to change. Only a clinic admin may reassign the therapist.
        """
        return services.update_patient(patient_id, actor=current_actor(), changes=body)


@blp.route("/patients/<uuid:patient_id>/invitations")
class PatientInvitations(MethodView):
    @allow(STAFF)
    @blp.response(201, InvitationOut, headers=LOCATION)
    @blp.doc(operationId="createInvitation")
    def post(self, patient_id: uuid.UUID) -> Any:
        """Issue a 7-day activation code; any older unused code stops working.

        The code is shown once: hand it to the patient (or show its QR code). It is valid for 7
        days; issuing a new one retires the old.
        """
        invitation = invitations.create_invitation(patient_id, actor=current_actor())
        return created(invitation, f"/api/v1/patients/{patient_id}")


# --- staff --------------------------------------------------------------------------------


@blp.route("/therapists")
class Therapists(MethodView):
    @allow(STAFF)
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, TherapistPage)
    @blp.doc(operationId="listTherapists")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The therapists and admins of the caller's clinic.

        Staff only. Active and deactivated staff, by name.
        """
        items, next_cursor = services.list_staff(actor=current_actor(), **args)
        return {"items": items, "next_cursor": next_cursor}

    @allow(ADMIN)
    @blp.arguments(TherapistIn)
    @blp.response(201, TherapistOut, headers=LOCATION)
    @blp.alt_response(409, description="The email address is taken.")
    @blp.doc(operationId="createTherapist")
    def post(self, body: dict[str, Any]) -> Any:
        """Create a therapist or clinic admin in the caller's clinic (clinic admins only).

        Clinic admins only. The new staff member logs in with the given password.
        """
        actor = current_actor()
        staff = services.create_staff(clinic_id=actor.clinic_id, actor=actor, **body)
        return created(staff, f"/api/v1/therapists/{staff.id}")


@blp.route("/therapists/<uuid:user_id>", methods=["PATCH"])
@allow(ADMIN)
@blp.arguments(TherapistPatchIn)
@blp.response(200, TherapistOut)
@blp.alt_response(409, description="The clinic would have no active admin left.")
@blp.doc(operationId="updateTherapist")
def update_therapist(body: dict[str, Any], user_id: uuid.UUID) -> Any:
    """Change a staff member's name, language or role, or deactivate them.

    Clinic admins only. A role change or deactivation ends the person's sessions; the clinic always
    keeps one active admin (else 409).
    """
    return services.update_staff(user_id, actor=current_actor(), changes=body)


# --- the patient's own profile ------------------------------------------------------------


@blp.route("/me")
class Me(MethodView):
    @allow(PATIENT)
    @blp.response(200, MeOut)
    @blp.doc(operationId="getMyProfile")
    def get(self) -> Any:
        """The patient's profile and preferences.

        Patients only: profile, clinic (with its emergency number) and preferences.
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
