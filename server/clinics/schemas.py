"""Clinic settings as the API shows them (…Out) and as a clinic admin changes them (…In)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from server.accounts.models import ERASURE_RETENTIONS, LANGUAGES
from server.accounts.schemas import ClockTime, time_zone
from server.flag_threshold_schemas import (
    FlagThresholdOverrides,
    FlagThresholdsIn,
    ThresholdsInForceOut,
)
from server.validation import Text

# Digits, optionally after a "+": the number is read out in the patient's emergency guidance.
EMERGENCY_NUMBER = r"^\+?[0-9]{2,15}$"


class ClinicPatchIn(ma.Schema):
    """Any subset of the clinic's settings; a field left out stays as it was."""

    EXAMPLE = {
        "emergency_number": "112",
        "digest_time": "07:30",
        "flag_thresholds": {"high_pain": 9, "flare_rise": None},
    }

    name = Text(validate=validate.Length(min=1, max=200))
    timezone = time_zone()
    emergency_number = Text(
        validate=validate.Regexp(EMERGENCY_NUMBER, error="Use 2 to 15 digits, optionally after +."),
        metadata={
            "pattern": EMERGENCY_NUMBER,
            "description": "The number red-flag guidance tells patients to call.",
        },
    )
    digest_time = ClockTime(
        metadata={"description": "Local time of the therapists' daily digest of open flags."}
    )
    default_language = Text(
        validate=validate.OneOf(LANGUAGES),
        metadata={"description": "The language of new staff accounts created without one."},
    )
    flag_thresholds = fields.Nested(FlagThresholdsIn)
    erasure_retention = Text(
        validate=validate.OneOf(ERASURE_RETENTIONS),
        metadata={
            "description": "What erasing a patient does to their clinical records: "
            "`keep_deidentified` (the default) keeps them under the patient's id without "
            "identifiers or free text; `delete` deletes them. Identifiers and free text go "
            "either way, and the audit trail (ids only) stays."
        },
    )


class ClinicOut(ma.Schema):
    """Dumped from a ``Clinic`` together with its thresholds in force."""

    id = fields.UUID(required=True)
    name = fields.String(required=True)
    timezone = fields.String(required=True)
    emergency_number = fields.String(required=True)
    digest_time = ClockTime(required=True)
    default_language = fields.String(
        required=True, attribute="language", validate=validate.OneOf(LANGUAGES)
    )
    erasure_retention = fields.String(
        required=True,
        validate=validate.OneOf(ERASURE_RETENTIONS),
        metadata={
            "description": "What erasing a patient does to their clinical records: "
            "`keep_deidentified` (the default) keeps them under the patient's id without "
            "identifiers or free text; `delete` deletes them. Identifiers and free text go "
            "either way, and the audit trail (ids only) stays."
        },
    )
    flag_thresholds = fields.Nested(
        FlagThresholdOverrides,
        required=True,
        metadata={"description": "The clinic's own overrides (a programme's beat them)."},
    )
    effective_flag_thresholds = fields.Nested(
        ThresholdsInForceOut,
        required=True,
        metadata={
            "description": "Every threshold for the clinic's patients without a "
            "programme override: the clinic's value, else the default."
        },
    )
