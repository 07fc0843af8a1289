"""Request schemas of the accounts domain (…In bodies, …Args queries): what a caller may send."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from server.accounts.models import LANGUAGES, STAFF_ROLES
from server.accounts.rules import (
    quiet_hours_problems,
    working_hours_problems,
)
from server.accounts.schemas.field_types import (
    ClockTime,
    birth_year_field,
    language_field,
    name_field,
    optional_language,
    time_zone,
)
from server.pagination import PageArgs
from server.validation import Email, StrictBoolean, Text


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
    consent_version = fields.Integer(
        load_default=None,
        strict=True,
        validate=validate.Range(min=1),
        metadata={
            "description": "The consent text version the app showed (GET /consents/current); "
            "409 `consent-not-current` when another is in force. Left out: the one in force."
        },
    )
    consent_language = optional_language(
        "The language the text was shown in; else Accept-Language."
    )


class PasswordChangeIn(ma.Schema):
    EXAMPLE = {"current_password": "demo-therapist", "new_password": "a new long passphrase"}

    current_password = Text(required=True, validate=validate.Length(min=1, max=1024))
    new_password = Text(required=True, validate=validate.Length(min=1, max=1024))


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
    language = language_field()
    reminders_enabled = StrictBoolean()
    quiet_hours = fields.Nested(QuietHoursIn)
    working_hours = fields.Nested(WorkingHoursIn)


class PatientIn(ma.Schema):
    EXAMPLE = {
        "name": "Ayşe Yılmaz",
        "email": "ayse@example.org",
        "timezone": "Europe/Istanbul",
        "language": "tr",
        "birth_year": 1988,
    }

    name = name_field(required=True)
    email = Email(required=True, validate=validate.Length(max=254))
    timezone = time_zone(required=True)
    language = language_field(required=True)
    birth_year = birth_year_field()
    therapist_id = fields.UUID(allow_none=True)


class PatientPatchIn(ma.Schema):
    EXAMPLE = {"language": "en"}

    name = name_field()
    timezone = time_zone()
    language = language_field()
    birth_year = birth_year_field()
    therapist_id = fields.UUID()


class PatientListArgs(PageArgs):
    therapist_id = fields.UUID(metadata={"description": "Only this therapist's patients."})


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
