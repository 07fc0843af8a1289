"""HTTP route of the progress report: a PDF of one patient's course for a referring physician."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, current_app
from flask.views import MethodView

from server.access import STAFF, allow, current_actor
from server.extensions import limiter
from server.reports import queries
from server.reports.document import render_pdf
from server.reports.schemas import ReportArgs
from server.routing import Blueprint

TOO_MANY = "Too many requests. Wait a little and try again."
blp = Blueprint(
    "reports",
    __name__,
    url_prefix="/api/v1",
    description="Progress reports (PDF) for a referring physician",
)
PDF = "application/pdf"
REPORT_RATE_LIMIT = "10 per minute"  # per signed-in user: each report costs CPU

_reports_by_user = limiter.limit(
    lambda: current_app.config.get("REPORT_RATE_LIMIT") or REPORT_RATE_LIMIT,
    key_func=lambda: f"report:{current_actor().user_id}",
    scope="report-user",
    error_message=TOO_MANY,
)


@blp.route("/patients/<uuid:patient_id>/report.pdf")
class PatientReport(MethodView):
    @allow(STAFF)
    @_reports_by_user
    @blp.arguments(ReportArgs(), location="query")
    @blp.doc(
        operationId="getPatientReport",
        responses={
            "200": {
                "description": "The report, one or two A4 pages.",
                "content": {PDF: {"schema": {"type": "string", "format": "binary"}}},
            },
            "429": {"description": "Too many reports; see Retry-After."},
        },
    )
    def get(self, args: dict[str, Any], patient_id: uuid.UUID) -> Response:
        """A one- or two-page PDF of the patient's course, for a referring physician.

        Staff of the patient's clinic. In the clinic's default language (`lang` overrides it):
        the programme and its changes with their reasons, adherence, the daily pain chart with
        the baseline, outcome measures with their interpretation by the MCID, and the flags
        raised with how they were handled. `from`/`to` default to the last 28 days (within the
        programme's span). Audited for the patient; limited per user (10 a minute by default).
        """
        content = queries.report_content(actor=current_actor(), patient_id=patient_id, **args)
        filename = f"report-{content.start.isoformat()}-{content.end.isoformat()}.pdf"
        headers = {"Content-Disposition": f'inline; filename="{filename}"'}
        return Response(render_pdf(content), status=200, content_type=PDF, headers=headers)
