"""HTTP routes of the audit domain: the clinic's audit trail, for clinic admins."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from server.access import ADMIN, allow, current_actor
from server.audit.schemas import AuditArgs, AuditEventOut
from server.audit.services import list_audit_events
from server.pagination import page_of
from server.routing import Blueprint

blp = Blueprint(
    "audit", __name__, url_prefix="/api/v1", description="Who read or changed which patient's data"
)
AuditPage = page_of(AuditEventOut, "AuditPage")


@blp.route("/audit")
class Audit(MethodView):
    @allow(ADMIN)
    @blp.arguments(AuditArgs(), location="query")
    @blp.response(200, AuditPage)
    @blp.doc(operationId="listAuditEvents")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Who did what to which patient's data, newest first (clinic admins only).

        Clinic admins only: every read and write of patient data in the clinic, newest first,
        filterable by patient, actor, action and time.
        """
        items, next_cursor = list_audit_events(actor=current_actor(), **args)
        return {"items": items, "next_cursor": next_cursor}
