"""Request (…In/…Args) and response (…Out) schemas of the accounts domain."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from server.accounts.models import LANGUAGES, ROLES, STAFF_ROLES
from server.accounts.rules import (
    CLOCK_PATTERN,
    iana_timezones,
    is_iana_timezone,
    parse_clock,
    quiet_hours_problems,
    timezone_identifier,
    working_hours_problems,
)
from server.clock import format_hhmm, utcnow
from server.pagination import PageArgs
from server.serialization import MEAN_PLACES, RATIO_PLACES, Instant, Rounded, Whole
from server.validation import Email, StrictBoolean, Text

SEVERITIES = ("urgent", "high", "normal", "low", "info")


class ClockTime(fields.String):
    """A local wall-clock time as ``"HH:MM"``."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"pattern": CLOCK_PATTERN, "example": "08:30", **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else format_hhmm(value)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, str):
            raise ma.ValidationError("Not a valid time: use HH:MM.")
        try:
            return parse_clock(value)
        except ValueError as error:
            raise ma.ValidationError(str(error)) from None


def _timezone(value: str) -> None:
    if not is_iana_timezone(value):
        raise ma.ValidationError("Not a known IANA time zone, e.g. Europe/Istanbul.")


def _birth_year(value: int) -> None:
    if not 1900 <= value <= utcnow().year:
        raise ma.ValidationError(f"Must be between 1900 and {utcnow().year}.")


def _name(**options: Any) -> Text:
    return Text(validate=validate.Length(min=1, max=200), **options)


def _language(**options: Any) -> Text:
    return Text(validate=validate.OneOf(LANGUAGES), **options)


def time_zone(**options: Any) -> Text:
    """A field for an IANA time zone, documented as the ``TimeZone`` enum."""
    zones = iana_timezones()
    metadata = {
        "enum": zones,
        "enum_name": "TimeZone",
        "x-enum-varnames": [timezone_identifier(zone) for zone in zones],
        "example": "Europe/Istanbul",
    }
    return Text(validate=[validate.Length(max=64), _timezone], metadata=metadata, **options)


def _birth_year_field() -> fields.Integer:
    limits = {"minimum": 1900, "maximum": utcnow().year}  # the spec's bounds as of today
    return fields.Integer(strict=True, allow_none=True, validate=_birth_year, metadata=limits)


# --- auth ---------------------------------------------------------------------------------


class LoginIn(ma.Schema):
    EXAMPLE = {"email": "therapist@demo.example", "password": "demo-therapist"}

    email = Text(required=True, validate=validate.Length(min=1, max=254))
    password = Text(required=True, validate=validate.Length(min=1, max=1024))
    clinic_id = fields.UUID(
        load_default=None,
        metadata={"description": "Only when a 409 asked to choose among the clinics it named."},
    )


class ActivateIn(ma.Schema):
    EXAMPLE = {"invite_code": "K7QF2M9XTA", "password": "a long passphrase"}

    invite_code = Text(required=True, validate=validate.Length(min=1, max=64))
    password = Text(required=True, validate=validate.Length(min=1, max=1024))


class PasswordChangeIn(ma.Schema):
    EXAMPLE = {"current_password": "demo-therapist", "new_password": "a new long passphrase"}

    current_password = Text(required=True, validate=validate.Length(min=1, max=1024))
    new_password = Text(required=True, validate=validate.Length(min=1, max=1024))


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


# --- preferences --------------------------------------------------------------------------


class QuietHoursIn(ma.Schema):
    start = ClockTime(required=True)
    end = ClockTime(required=True)

    @ma.validates_schema
    def _check(self, data: dict[str, Any], **kwargs: Any) -> None:
        if problems := quiet_hours_problems(data["start"], data["end"]):
            raise ma.ValidationError(problems, "end")


class WorkingHoursIn(ma.Schema):
    start = ClockTime(required=True)
    end = ClockTime(required=True)
    days = fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=1, max=7)),
        validate=validate.Length(max=7),
    )

    @ma.validates_schema
    def _check(self, data: dict[str, Any], **kwargs: Any) -> None:
        if problems := working_hours_problems(data["start"], data["end"], data.get("days", [])):
            raise ma.ValidationError(problems, "end")


class PreferencesIn(ma.Schema):
    EXAMPLE = {
        "timezone": "Europe/Istanbul",
        "language": "tr",
        "reminders_enabled": True,
        "quiet_hours": {"start": "22:00", "end": "07:00"},
        "working_hours": {"start": "09:00", "end": "18:00", "days": [1, 2, 3, 4, 5]},
    }

    timezone = time_zone()
    language = _language()
    reminders_enabled = StrictBoolean()
    quiet_hours = fields.Nested(QuietHoursIn)
    working_hours = fields.Nested(WorkingHoursIn)


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


# --- patients (staff side) ----------------------------------------------------------------


class PatientIn(ma.Schema):
    EXAMPLE = {
        "name": "Ayşe Yılmaz",
        "email": "ayse@example.org",
        "timezone": "Europe/Istanbul",
        "language": "tr",
        "birth_year": 1988,
    }

    name = _name(required=True)
    email = Email(required=True, validate=validate.Length(max=254))
    timezone = time_zone(required=True)
    language = _language(required=True)
    birth_year = _birth_year_field()
    therapist_id = fields.UUID(allow_none=True)


class PatientPatchIn(ma.Schema):
    EXAMPLE = {"language": "en"}

    name = _name()
    timezone = time_zone()
    language = _language()
    birth_year = _birth_year_field()
    therapist_id = fields.UUID()


class PatientListArgs(PageArgs):
    therapist_id = fields.UUID(metadata={"description": "Only this therapist's patients."})


class OpenFlagsOut(ma.Schema):
    urgent = fields.Integer(required=True)
    high = fields.Integer(required=True)
    normal = fields.Integer(required=True)
    low = fields.Integer(required=True)
    info = fields.Integer(required=True)


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


class PatientDetailOut(PatientOut):
    preferences = Whole(PreferencesOut, through="patient")


class InvitationOut(ma.Schema):
    code = fields.String(required=True, metadata={"description": "Shown once; 10 characters."})
    expires_at = Instant(required=True)


# --- staff --------------------------------------------------------------------------------


class TherapistIn(ma.Schema):
    EXAMPLE = {
        "name": "Dr. Mert Kaya",
        "email": "mert@example.org",
        "password": "a long passphrase",
        "role": "therapist",
        "language": "tr",
    }

    name = Text(required=True, validate=validate.Length(min=1, max=200))
    email = Email(required=True, validate=validate.Length(max=254))
    password = Text(required=True, validate=validate.Length(min=1, max=1024))
    role = Text(load_default="therapist", validate=validate.OneOf(STAFF_ROLES))
    language = Text(
        load_default=None,
        validate=validate.OneOf(LANGUAGES),
        metadata={"enum_name": "Language", "description": "Default: the clinic's language."},
    )


class TherapistPatchIn(ma.Schema):
    """A clinic admin's changes to a colleague's account (not the email, which is the login)."""

    EXAMPLE = {"role": "clinic_admin"}

    name = Text(validate=validate.Length(min=1, max=200))
    role = Text(validate=validate.OneOf(STAFF_ROLES))
    language = Text(validate=validate.OneOf(LANGUAGES))
    is_active = StrictBoolean(
        metadata={"description": "false ends every session and refuses login; true restores"}
    )


class TherapistOut(ma.Schema):
    id = fields.UUID(required=True)
    name = fields.String(required=True)
    email = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(STAFF_ROLES))
    language = fields.String(required=True, validate=validate.OneOf(LANGUAGES))
    is_active = fields.Boolean(required=True)
    created_at = Instant(required=True)
