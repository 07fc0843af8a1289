"""Schemas of consent: the text in force, the patient's decisions, accepting a version."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from server.accounts.schemas.field_types import optional_language
from server.serialization import Instant


class ConsentTextArgs(ma.Schema):
    lang = optional_language("`tr` or `en`; else Accept-Language, else both.")


class ConsentTextOut(ma.Schema):
    version = fields.Integer(required=True)
    published = fields.Date(required=True)
    text = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        required=True,
        metadata={"description": "The text by language: the one asked for, or tr and en."},
    )


class ConsentIn(ma.Schema):
    EXAMPLE = {"version": 1, "language": "tr"}

    version = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1),
        metadata={"description": "The version the app showed; 409 when another is in force."},
    )
    language = optional_language("The language the text was shown in; else the patient's.")


class ConsentOut(ma.Schema):
    id = fields.UUID(required=True)
    version = fields.Integer(required=True)
    language = fields.String(required=True)
    given_at = Instant(required=True)
    withdrawn_at = Instant(allow_none=True)


class ConsentStatusOut(ma.Schema):
    current_version = fields.Integer(
        allow_none=True, metadata={"description": "The version in force (null: none published)."}
    )
    accepted_version = fields.Integer(
        allow_none=True, metadata={"description": "The version the patient's consent is to."}
    )
    withdrawn = fields.Boolean(required=True)
    consent_required = fields.Boolean(
        required=True,
        metadata={"description": "Show the current text and ask (POST /me/consents)."},
    )


class ConsentHistoryOut(ConsentStatusOut):
    items = fields.List(fields.Nested(ConsentOut), required=True)
