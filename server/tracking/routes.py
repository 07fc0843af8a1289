"""HTTP routes of the tracking domain: what patients record, one at a time or in a sync batch."""

from __future__ import annotations

from typing import Any

from server.access import PATIENT, allow, current_actor
from server.routing import Blueprint
from server.tracking import schemas, services

blp = Blueprint(
    "tracking", __name__, url_prefix="/api/v1", description="Patient records and offline sync"
)
REPLAY = "An identical replay: the body of the original 201."
CONFLICT = "The id already holds a different record."
# Input schemas are passed as instances: given a class, webargs builds a new one per request.


def _record(kind: str, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    actor = current_actor()
    patient = services.patient_of(actor)
    stored, created = services.record_one(patient=patient, kind=kind, body=body, actor=actor)
    return stored, 201 if created else 200


@blp.route("/me/session-logs", methods=["POST"])
@allow(PATIENT)
@blp.arguments(schemas.SessionLogIn())
@blp.response(201, schemas.SessionLogOut)
@blp.alt_response(200, schema=schemas.SessionLogOut, description=REPLAY)
@blp.alt_response(409, description=CONFLICT)
@blp.doc(operationId="recordSessionLog")
def post_session_log(body: dict[str, Any]):
    """Log a scheduled session as completed, partial or skipped.

    Idempotent by the client `id`: a replay answers 200 with the stored body, the same `id` with a
    different body 409.
    """
    return _record("session_log", body)


@blp.route("/me/pain-ratings", methods=["POST"])
@allow(PATIENT)
@blp.arguments(schemas.PainRatingIn())
@blp.response(201, schemas.PainRatingOut)
@blp.alt_response(200, schema=schemas.PainRatingOut, description=REPLAY)
@blp.alt_response(409, description=CONFLICT)
@blp.doc(operationId="recordPainRating")
def post_pain_rating(body: dict[str, Any]):
    """Record a 0–10 pain rating with its context.

    0–10 NRS. Idempotent by the client `id`: a replay answers 200 with the stored body, the same
    `id` with a different body 409.
    """
    return _record("pain_rating", body)


@blp.route("/me/headache-entries", methods=["POST"])
@allow(PATIENT)
@blp.arguments(schemas.HeadacheEntryIn())
@blp.response(201, schemas.HeadacheEntryOut)
@blp.alt_response(200, schema=schemas.HeadacheEntryOut, description=REPLAY)
@blp.alt_response(409, description=CONFLICT)
@blp.doc(operationId="recordHeadacheEntry")
def post_headache_entry(body: dict[str, Any]):
    """Add a headache diary entry.

    Medication is yes or no only, never a drug or dose. Idempotent by the client `id`.
    """
    return _record("headache_entry", body)


@blp.route("/me/posture-breaks", methods=["POST"])
@allow(PATIENT)
@blp.arguments(schemas.PostureBreakIn())
@blp.response(201, schemas.PostureBreakOut)
@blp.alt_response(200, schema=schemas.PostureBreakOut, description=REPLAY)
@blp.alt_response(409, description=CONFLICT)
@blp.doc(operationId="recordPostureBreak")
def post_posture_break(body: dict[str, Any]):
    """Record a posture break.

    Restarts the posture-break countdown. Idempotent by the client `id`.
    """
    return _record("posture_break", body)


@blp.route("/me/symptom-checks", methods=["POST"])
@allow(PATIENT)
@blp.arguments(schemas.SymptomCheckIn())
@blp.response(201, schemas.SymptomCheckOut)
@blp.alt_response(200, schema=schemas.SymptomCheckOut, description=REPLAY)
@blp.alt_response(409, description=CONFLICT)
@blp.doc(operationId="recordSymptomCheck")
def post_symptom_check(body: dict[str, Any]):
    """Answer the red-flag screen; urgent answers get emergency guidance and alert the team.

    Any positive answer makes `urgent` true: show `guidance` at once (call the clinic's emergency
    number, do not exercise). The therapist is alerted. Idempotent by the client `id`.
    """
    return _record("symptom_check", body)


@blp.route("/me/sync", methods=["POST"])
@allow(PATIENT)
@blp.arguments(schemas.SyncIn())
@blp.response(200, schemas.SyncOut)
@blp.doc(operationId="syncRecords")
def post_sync(body: dict[str, Any]):
    """Upload up to 500 offline records; each gets its own result, in order.

    Each item is `{kind, data}`, `data` being the body of the matching `record…` operation. Results
    come in the same order: `created`, `duplicate`, `invalid` (with `errors`) or `conflict`. Valid
    items are stored even when others are not.
    """
    actor = current_actor()
    patient = services.patient_of(actor)
    return {"results": services.sync(patient=patient, items=body["items"], actor=actor)}
