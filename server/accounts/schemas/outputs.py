"""Response schemas of the accounts domain (…Out): what the API answers."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from server.accounts.models import LANGUAGES, ROLES, STAFF_ROLES
from server.accounts.schemas.consents import ConsentStatusOut
from server.accounts.schemas.field_types import ClockTime
from server.serialization import MEAN_PLACES, RATIO_PLACES, Instant, Rounded, Whole


class TokenUserOut(ma.Schema):
    id = fields.UUID(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    clinic_id = fields.UUID(required=True)


class TokenPairOut(ma.Schema):
    access_token = fields.String(required=True)
    refresh_token = fields.String(required=True)
    token_type = fields.Constant(
        "Bearer", required=True, metadata={"type": "string", "enum": ["Bearer"]}
    )
    expires_in = fields.Integer(required=True, metadata={"description": "Access token seconds."})
    user = fields.Nested(TokenUserOut, required=True)


class QuietHoursOut(ma.Schema):
    start = ClockTime(attribute="quiet_start")
    end = ClockTime(attribute="quiet_end")


class WorkingHoursOut(ma.Schema):
    start = ClockTime(attribute="work_start")
    end = ClockTime(attribute="work_end")
    days = fields.List(fields.Integer(), attribute="work_days")


class PreferencesOut(ma.Schema):
    """Dumped from a ``Patient``."""

    timezone = fields.String()
    language = fields.String(validate=validate.OneOf(LANGUAGES))
    reminders_enabled = fields.Boolean()
    quiet_hours = Whole(QuietHoursOut)
    working_hours = Whole(WorkingHoursOut)


class ClinicBriefOut(ma.Schema):
    id = fields.UUID()
    name = fields.String()
    timezone = fields.String()
    emergency_number = fields.String()


class MeOut(ma.Schema):
    """The patient's own profile, dumped from a ``Patient``."""

    id = fields.UUID()
    name = fields.String()
    email = fields.String()
    birth_year = fields.Integer(allow_none=True)
    therapist_id = fields.UUID(allow_none=True)
    clinic = fields.Nested(ClinicBriefOut, attribute="user.clinic")
    preferences = Whole(PreferencesOut)
    consent = fields.Nested(
        ConsentStatusOut,
        attribute="consent_status",
        allow_none=True,
        metadata={
            "description": "GET only: whether to show the consent text in force and ask again "
            "(`consent_required`), e.g. after a new version was published."
        },
    )


class OpenFlagsOut(ma.Schema):
    urgent = fields.Integer(required=True)
    high = fields.Integer(required=True)
    normal = fields.Integer(required=True)
    low = fields.Integer(required=True)
    info = fields.Integer(required=True)


class OutcomeChangeOut(ma.Schema):
    """An outcome measure's latest response against the patient's baseline (their first)."""

    measure = fields.String(required=True, metadata={"description": "The measure's code."})
    score = fields.Float(required=True, metadata={"description": "The latest response's score."})
    change = fields.Float(
        required=True,
        allow_none=True,
        metadata={"description": "Points better (+) or worse (−) than baseline; null: only one."},
    )
    interpretation = fields.String(
        required=True,
        allow_none=True,
        validate=validate.OneOf(("improved", "no_meaningful_change", "worsened")),
        metadata={
            "description": "By the measure's MCID; null for a lone baseline.",
            "enum_name": "OutcomeInterpretation",
        },
    )


class PatientOut(ma.Schema):
    """A patient with the 7-day summary; dumped from ``accounts.queries.PatientView``."""

    id = fields.UUID(required=True, attribute="patient.id")
    name = fields.String(required=True, attribute="patient.name")
    email = fields.String(required=True, attribute="patient.email")
    timezone = fields.String(required=True, attribute="patient.timezone")
    language = fields.String(
        required=True, attribute="patient.language", validate=validate.OneOf(LANGUAGES)
    )
    birth_year = fields.Integer(allow_none=True, attribute="patient.birth_year")
    therapist_id = fields.UUID(allow_none=True, attribute="patient.therapist_id")
    activated = fields.Boolean(
        attribute="patient.activated", metadata={"description": "The patient has set a password."}
    )
    created_at = Instant(required=True, attribute="patient.created_at")
    adherence_7d = Rounded(
        RATIO_PLACES,
        allow_none=True,
        attribute="summary.adherence_7d",
        metadata={"description": "Share of prescribed sessions done over the last 7 days (0–1)."},
    )
    pain_7d_mean = Rounded(
        MEAN_PLACES,
        allow_none=True,
        attribute="summary.pain_7d_mean",
        metadata={"description": "Mean of the daily maximum pain over the last 7 local days."},
    )
    open_flags = fields.Nested(OpenFlagsOut, required=True, attribute="summary.open_flags")
    last_activity_at = Instant(allow_none=True, attribute="summary.last_activity_at")
    outcomes = fields.List(
        fields.Nested(OutcomeChangeOut),
        required=True,
        attribute="summary.outcomes",
        metadata={"description": "Each answered outcome measure's latest change, by code."},
    )


class PatientDetailOut(PatientOut):
    preferences = Whole(PreferencesOut, through="patient")


class InvitationOut(ma.Schema):
    code = fields.String(required=True, metadata={"description": "Shown once; 10 characters."})
    expires_at = Instant(required=True)


class TherapistOut(ma.Schema):
    id = fields.UUID(required=True)
    name = fields.String(required=True)
    email = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(STAFF_ROLES))
    language = fields.String(required=True, validate=validate.OneOf(LANGUAGES))
    is_active = fields.Boolean(required=True)
    created_at = Instant(required=True)
