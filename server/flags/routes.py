"""HTTP routes of the flags domain: the therapist's review queue and a patient's flag history."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView

from server.access import STAFF, allow, current_actor
from server.flags import review, schemas
from server.pagination import PageArgs
from server.routing import Blueprint

blp = Blueprint("flags", __name__, url_prefix="/api/v1", description="Flags for therapist review")


@blp.route("/flags")
class Flags(MethodView):
    @allow(STAFF)
    @blp.arguments(schemas.FlagQueueArgs(), location="query")
    @blp.response(200, schemas.FlagPageOut)
    @blp.doc(operationId="listFlags")
    def get(self, args: dict[str, Any]):
        """The clinic's flags, most severe first (urgent, high, normal, low, info), then oldest.

        Staff only, the caller's clinic. Most severe first, then oldest first; filter by status,
        severity or patient. Each patient shown is audited.
        """
        items, next_cursor = review.list_flags(actor=current_actor(), **args)
        return {"items": items, "next_cursor": next_cursor}


@blp.route("/flags/<uuid:flag_id>")
class FlagDetail(MethodView):
    @allow(STAFF)
    @blp.response(200, schemas.FlagDetailOut)
    @blp.doc(operationId="getFlag")
    def get(self, flag_id: uuid.UUID):
        """One flag with its evidence: the rules that fired, on which data, with which thresholds.

        Staff of the patient's clinic. The evidence says which rule fired, on which days, with which
        values and thresholds, whether it was expected, and the suggested action.
        """
        return review.get_flag(actor=current_actor(), flag_id=flag_id)


@blp.route("/flags/<uuid:flag_id>/acknowledge")
class AcknowledgeFlag(MethodView):
    @allow(STAFF)
    @blp.response(200, schemas.FlagDetailOut)
    @blp.alt_response(409, description="The flag is not open; the body has flag_status.")
    @blp.doc(operationId="acknowledgeFlag")
    def post(self, flag_id: uuid.UUID):
        """Acknowledge an open flag (409 unless it is open).

        open → acknowledged; 409 from any other status.
        """
        return review.acknowledge_flag(actor=current_actor(), flag_id=flag_id)


@blp.route("/flags/<uuid:flag_id>/resolve")
class ResolveFlag(MethodView):
    @allow(STAFF)
    @blp.arguments(schemas.ResolveIn())
    @blp.response(200, schemas.FlagDetailOut)
    @blp.alt_response(409, description="The flag is already closed; the body has flag_status.")
    @blp.doc(operationId="resolveFlag")
    def post(self, body: dict[str, Any], flag_id: uuid.UUID):
        """Resolve an open or acknowledged flag with a note and the action taken (409 once closed).

        open or acknowledged → resolved, with the action taken and a note; 409 once it is closed.
        """
        return review.resolve_flag(actor=current_actor(), flag_id=flag_id, **body)


@blp.route("/patients/<uuid:patient_id>/flags")
class PatientFlags(MethodView):
    @allow(STAFF)
    @blp.arguments(PageArgs(), location="query")
    @blp.response(200, schemas.FlagPageOut)
    @blp.doc(operationId="listPatientFlags")
    def get(self, args: dict[str, Any], patient_id: uuid.UUID):
        """A patient's flag history, every status, newest first.

        Staff of the patient's clinic. Every status, newest first.
        """
        items, next_cursor = review.patient_flags(
            actor=current_actor(), patient_id=patient_id, **args
        )
        return {"items": items, "next_cursor": next_cursor}
