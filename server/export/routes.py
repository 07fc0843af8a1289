"""HTTP routes of the export: a patient's own data, and a patient's data for their clinic."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, current_app, stream_with_context
from flask.views import MethodView

from server.access import PATIENT, STAFF, allow, current_actor
from server.export import queries
from server.export.schemas import EXPORT_RESPONSE, ExportArgs
from server.extensions import limiter
from server.routing import Blueprint

blp = Blueprint(
    "export",
    __name__,
    url_prefix="/api/v1",
    description="Data rights: everything held about a patient, as JSON or a FHIR R4 Bundle",
)
TOO_MANY = "Too many exports. Wait a little and try again."
# After allow: the actor is known, so each user has their own bucket.
_rate_limited = limiter.limit(
    lambda: current_app.config["EXPORT_RATE_LIMIT"],
    key_func=lambda: f"export:{current_actor().user_id}",
    scope="export",
    error_message=TOO_MANY,
)


def _streamed(args: dict[str, Any], patient_id: uuid.UUID) -> Response:
    form = args["format"]
    chunks = queries.start_export(actor=current_actor(), patient_id=patient_id, form=form)
    mimetype = queries.MEDIA_TYPES[form]
    return Response(stream_with_context(chunks), mimetype=mimetype)


@blp.route("/me/export")
class MyExport(MethodView):
    @allow(PATIENT)
    @_rate_limited
    @blp.arguments(ExportArgs(), location="query")
    @blp.doc(operationId="exportMyData", responses={"200": EXPORT_RESPONSE})
    @blp.alt_response(429, description="Too many exports; see Retry-After.")
    def get(self, args: dict[str, Any]):
        """Everything the service holds about me, as JSON or a FHIR R4 Bundle.

        Patients only, their own data (KVKK Art. 11, GDPR Art. 15 and 20). JSON: profile,
        preferences, devices (never push tokens), programmes with every revision, every record,
        outcome measures, flags with their evidence and handling, notifications, and the audit
        trail of who read or changed the data. `?format=fhir` answers `application/fhir+json`:
        a FHIR R4 `Bundle` of type `collection`. Streamed; audited as `patient.exported`.
        """
        return _streamed(args, current_actor().user_id)


@blp.route("/patients/<uuid:patient_id>/export")
class PatientExport(MethodView):
    @allow(STAFF)
    @_rate_limited
    @blp.arguments(ExportArgs(), location="query")
    @blp.doc(operationId="exportPatientData", responses={"200": EXPORT_RESPONSE})
    @blp.alt_response(429, description="Too many exports; see Retry-After.")
    def get(self, args: dict[str, Any], patient_id: uuid.UUID):
        """Everything the service holds about a patient, as JSON or a FHIR R4 Bundle.

        Staff of the patient's clinic, to hand a patient their data or a referring physician
        or hospital the course of care. The same document as `GET /me/export`; `?format=fhir`
        answers a FHIR R4 `Bundle` (`application/fhir+json`). Streamed; audited as
        `patient.exported` with the format.
        """
        return _streamed(args, patient_id)
