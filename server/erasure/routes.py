"""HTTP routes of erasure: a clinic admin erases a patient; a patient asks to be erased; the
admins' queue of those requests."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView

from server.access import ADMIN, PATIENT, allow, current_actor
from server.erasure import queries, services
from server.erasure.schemas import (
    ErasureIn,
    ErasureQueueArgs,
    ErasureQueueItemOut,
    ErasureRequestIn,
    ErasureRequestOut,
)
from server.pagination import page_of
from server.routing import Blueprint

blp = Blueprint(
    "erasure",
    __name__,
    url_prefix="/api/v1",
    description="Erasing a patient's data (KVKK Art. 7, GDPR Art. 17), and patients' requests",
)
ErasureQueuePage = page_of(ErasureQueueItemOut, "ErasureQueuePage")


@blp.route("/patients/<uuid:patient_id>")
class PatientErasure(MethodView):
    @allow(ADMIN)
    @blp.arguments(ErasureIn)
    @blp.response(204)
    @blp.alt_response(404, description="No such patient in the clinic, or already erased.")
    @blp.doc(operationId="erasePatient")
    def delete(self, body: dict[str, Any], patient_id: uuid.UUID) -> None:
        """Erase a patient: identifiers and free text go, sessions end; cannot be undone.

        Clinic admins only, with a `reason` (kept with the audit trail, so it names no patient
        details). At once: the patient's sessions, refresh tokens, devices and invitations end,
        reminders and queued pushes are cancelled, their name, email and birth year and every
        free text about them (notes, triggers, named activities, therapists' notes and reasons)
        are removed, and the account can never sign in again. Clinical records are kept
        de-identified under the patient's id, or deleted, as the clinic's `erasure_retention`
        says (GET /clinic). Afterwards every route answers as for an unknown patient. The audit
        trail keeps its rows (ids only) and gains `patient.erase`, naming the admin.
        """
        services.erase_patient(patient_id, actor=current_actor(), reason=body["reason"])


@blp.route("/me/erasure-request")
class MyErasureRequest(MethodView):
    @allow(PATIENT)
    @blp.arguments(ErasureRequestIn)
    @blp.response(201, ErasureRequestOut)
    @blp.alt_response(200, schema=ErasureRequestOut, description="A request is already waiting.")
    @blp.doc(operationId="requestMyErasure")
    def post(self, body: dict[str, Any]) -> Any:
        """Ask the clinic to erase your data; the request waits in the admins' queue.

        Patients only. An optional `reason`. The clinic's admins see the request (GET
        /clinic/erasure-requests) and erase the account, which closes it; while one waits, the
        same request is answered (200).
        """
        request, is_new = services.request_erasure(actor=current_actor(), **body)
        return request, 201 if is_new else 200


@blp.route("/clinic/erasure-requests")
class ErasureQueue(MethodView):
    @allow(ADMIN)
    @blp.arguments(ErasureQueueArgs, location="query")
    @blp.response(200, ErasureQueuePage)
    @blp.doc(operationId="listErasureRequests")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The clinic's open erasure requests, oldest first.

        Clinic admins only. Each names the patient; erasing them (DELETE /patients/{id}) closes
        the request. Reading the queue is audited for each patient listed.
        """
        items, next_cursor = queries.open_requests(actor=current_actor(), **args)
        return {"items": items, "next_cursor": next_cursor}
