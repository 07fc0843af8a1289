"""HTTP routes of the tracking domain: what patients record, one at a time or in a sync batch."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView

from server.access import PATIENT, STAFF, allow, current_actor
from server.collector import collector_paused
from server.routing import Blueprint
from server.tracking import queries, schemas, services

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


@blp.route("/me/session-logs")
class NewSessionLog(MethodView):
    @allow(PATIENT)
    @blp.arguments(schemas.SessionLogIn())
    @blp.response(201, schemas.SessionLogOut)
    @blp.alt_response(200, schema=schemas.SessionLogOut, description=REPLAY)
    @blp.alt_response(409, description=CONFLICT)
    @blp.doc(operationId="recordSessionLog")
    def post(self, body: dict[str, Any]):
        """Log a scheduled session as completed, partial or skipped.

        Idempotent by the client `id`: a replay answers 200 with the stored body, the same `id` with a
        different body 409.
        """
        return _record("session_log", body)


@blp.route("/me/pain-ratings")
class NewPainRating(MethodView):
    @allow(PATIENT)
    @blp.arguments(schemas.PainRatingIn())
    @blp.response(201, schemas.PainRatingOut)
    @blp.alt_response(200, schema=schemas.PainRatingOut, description=REPLAY)
    @blp.alt_response(409, description=CONFLICT)
    @blp.doc(operationId="recordPainRating")
    def post(self, body: dict[str, Any]):
        """Record a 0–10 pain rating with its context.

        0–10 NRS. Idempotent by the client `id`: a replay answers 200 with the stored body, the same
        `id` with a different body 409.
        """
        return _record("pain_rating", body)


@blp.route("/me/headache-entries")
class NewHeadacheEntry(MethodView):
    @allow(PATIENT)
    @blp.arguments(schemas.HeadacheEntryIn())
    @blp.response(201, schemas.HeadacheEntryOut)
    @blp.alt_response(200, schema=schemas.HeadacheEntryOut, description=REPLAY)
    @blp.alt_response(409, description=CONFLICT)
    @blp.doc(operationId="recordHeadacheEntry")
    def post(self, body: dict[str, Any]):
        """Add a headache diary entry.

        Medication is yes or no only, never a drug or dose. Idempotent by the client `id`.
        """
        return _record("headache_entry", body)


@blp.route("/me/posture-breaks")
class NewPostureBreak(MethodView):
    @allow(PATIENT)
    @blp.arguments(schemas.PostureBreakIn())
    @blp.response(201, schemas.PostureBreakOut)
    @blp.alt_response(200, schema=schemas.PostureBreakOut, description=REPLAY)
    @blp.alt_response(409, description=CONFLICT)
    @blp.doc(operationId="recordPostureBreak")
    def post(self, body: dict[str, Any]):
        """Record a posture break.

        Restarts the posture-break countdown. Idempotent by the client `id`.
        """
        return _record("posture_break", body)


@blp.route("/me/symptom-checks")
class NewSymptomCheck(MethodView):
    @allow(PATIENT)
    @blp.arguments(schemas.SymptomCheckIn())
    @blp.response(201, schemas.SymptomCheckOut)
    @blp.alt_response(200, schema=schemas.SymptomCheckOut, description=REPLAY)
    @blp.alt_response(409, description=CONFLICT)
    @blp.doc(operationId="recordSymptomCheck")
    def post(self, body: dict[str, Any]):
        """Answer the red-flag screen; urgent answers get emergency guidance and alert the team.

        Any positive answer makes `urgent` true: show `guidance` at once (call the clinic's emergency
        number, do not exercise). The therapist is alerted. Idempotent by the client `id`.
        """
        return _record("symptom_check", body)


@blp.route("/me/sync")
class MySync(MethodView):
    # The cyclic collector waits for the answer: a batch's thousands of bodies, rows and
    # results live until it is sent, and collections meanwhile only walked them again.
    @collector_paused()
    @allow(PATIENT)
    @blp.arguments(schemas.SyncIn())
    @blp.response(200, schemas.SyncOut)
    @blp.doc(operationId="syncRecords")
    def post(self, body: dict[str, Any]):
        """Upload up to 500 offline records; each gets its own result, in order.

        Each item is `{kind, data}`, `data` being the body of the matching `record…` operation. Results
        come in the same order: `created`, `duplicate`, `invalid` (with `errors`) or `conflict`. Valid
        items are stored even when others are not.
        """
        actor = current_actor()
        patient = services.patient_of(actor)
        return {"results": services.sync(patient=patient, items=body["items"], actor=actor)}


# --- reading records back ------------------------------------------------------------------


def _my_page(kind: str, args: dict[str, Any]) -> dict[str, Any]:
    items, next_cursor = queries.list_my_records(actor=current_actor(), kind=kind, **args)
    return {"items": items, "next_cursor": next_cursor}


@blp.route("/me/session-logs")
class MySessionLogs(MethodView):
    @allow(PATIENT)
    @blp.doc(operationId="listMySessionLogs")
    @blp.arguments(schemas.RecordListArgs(), location="query")
    @blp.response(200, schemas.SessionLogPage)
    @blp.alt_response(403, description="Only patients have records of their own.")
    def get(self, args: dict[str, Any]):
        """My session logs, newest first, as they were created.

        Patients only. Paginated with `limit` and `cursor`; `from`/`to` are inclusive local dates. Each
        body is the one `recordSessionLog` answered, so a reinstalled app gets its diary back.
        """
        return _my_page("session_log", args)


@blp.route("/me/pain-ratings")
class MyPainRatings(MethodView):
    @allow(PATIENT)
    @blp.doc(operationId="listMyPainRatings")
    @blp.arguments(schemas.RecordListArgs(), location="query")
    @blp.response(200, schemas.PainRatingPage)
    @blp.alt_response(403, description="Only patients have records of their own.")
    def get(self, args: dict[str, Any]):
        """My pain ratings, newest first, as they were created.

        Patients only. Paginated; `from`/`to` are inclusive local dates; bodies as `recordPainRating`
        answered.
        """
        return _my_page("pain_rating", args)


@blp.route("/me/headache-entries")
class MyHeadacheEntries(MethodView):
    @allow(PATIENT)
    @blp.doc(operationId="listMyHeadacheEntries")
    @blp.arguments(schemas.RecordListArgs(), location="query")
    @blp.response(200, schemas.HeadacheEntryPage)
    @blp.alt_response(403, description="Only patients have records of their own.")
    def get(self, args: dict[str, Any]):
        """My headache diary, newest first, as it was created.

        Patients only. Paginated; `from`/`to` are inclusive local dates; bodies as `recordHeadacheEntry`
        answered.
        """
        return _my_page("headache_entry", args)


@blp.route("/me/posture-breaks")
class MyPostureBreaks(MethodView):
    @allow(PATIENT)
    @blp.doc(operationId="listMyPostureBreaks")
    @blp.arguments(schemas.RecordListArgs(), location="query")
    @blp.response(200, schemas.PostureBreakPage)
    @blp.alt_response(403, description="Only patients have records of their own.")
    def get(self, args: dict[str, Any]):
        """My posture breaks, newest first, as they were created.

        Patients only. Paginated; `from`/`to` are inclusive local dates; bodies as `recordPostureBreak`
        answered.
        """
        return _my_page("posture_break", args)


@blp.route("/me/symptom-checks")
class MySymptomChecks(MethodView):
    @allow(PATIENT)
    @blp.doc(operationId="listMySymptomChecks")
    @blp.arguments(schemas.RecordListArgs(), location="query")
    @blp.response(200, schemas.SymptomCheckPage)
    @blp.alt_response(403, description="Only patients have records of their own.")
    def get(self, args: dict[str, Any]):
        """My symptom checks, newest first, with the guidance in my language.

        Patients only. Paginated; `from`/`to` are inclusive local dates; the guidance uses the clinic's
        emergency number now in force.
        """
        return _my_page("symptom_check", args)


@blp.route("/patients/<uuid:patient_id>/records")
class PatientRecords(MethodView):
    @allow(STAFF)
    @blp.doc(operationId="listPatientRecords")
    @blp.arguments(schemas.PatientRecordListArgs(), location="query")
    @blp.response(200, schemas.PatientRecordPage)
    @blp.alt_response(403, description="Staff only.")
    @blp.alt_response(404, description="No patient with this id in your clinic.")
    def get(self, args: dict[str, Any], patient_id: uuid.UUID):
        """A patient's records of one kind or all, newest first, each tagged with its kind.

        Staff of the patient's clinic. Each item is `{kind, data}`; filter with `kind` and the inclusive
        local dates `from`/`to`. Every page read is audited for the patient.
        """
        actor = current_actor()
        items, next_cursor = queries.list_patient_records(
            actor=actor, patient_id=patient_id, **args
        )
        return {"items": items, "next_cursor": next_cursor}
