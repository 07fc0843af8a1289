"""Marshmallow schemas of the export: its query arguments, and the documented response bodies."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from server.export.queries import FORMATS, JSON
from server.validation import Text


class ExportArgs(ma.Schema):
    """``?format=json`` (the default) or ``?format=fhir``."""

    format = Text(
        load_default=JSON,
        validate=validate.OneOf(FORMATS),
        metadata={
            "enum": list(FORMATS),
            "description": "`json` (the default): every section of what is held; `fhir`: a FHIR "
            "R4 Bundle (`application/fhir+json`).",
        },
    )


_ROW = {"$ref": "#/components/schemas/JsonObject"}
_SECTION = {"type": "array", "items": _ROW}
# The two bodies, documented by hand: the view streams them rather than dumping a schema.
EXPORT_RESPONSE = {
    "description": "Everything held about the patient, streamed.",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "description": "The JSON export: `format_version`, then one member per section. "
                "Readers ignore sections and fields they do not know.",
                "required": ["format_version", "exported_at", "patient_id"],
                "properties": {
                    "format_version": {"type": "string", "description": "Of this layout."},
                    "exported_at": {"type": "string", "format": "date-time"},
                    "patient_id": {"type": "string", "format": "uuid"},
                    "profile": _ROW,
                    "preferences": _ROW,
                    "devices": _SECTION,
                    "programmes": _SECTION,
                    "records": _SECTION,
                    "measure_schedules": _SECTION,
                    "measure_responses": _SECTION,
                    "flags": _SECTION,
                    "notifications": _SECTION,
                    "consents": _SECTION,
                    "audit_trail": _SECTION,
                },
            }
        },
        "application/fhir+json": {
            "schema": {
                "allOf": [_ROW],
                "description": "A FHIR R4 Bundle of type `collection`.",
            }
        },
    },
}
