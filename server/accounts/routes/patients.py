"""Patients, for staff: list, create, read and change them, and invite them to the app."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView

from server.access import STAFF, allow, current_actor
from server.accounts import invitations, services
from server.accounts.routes.blueprint import blp
from server.accounts.schemas import (
    InvitationOut,
    PatientDetailOut,
    PatientIn,
    PatientListArgs,
    PatientOut,
    PatientPatchIn,
)
from server.collector import collector_paused
from server.pagination import page_of
from server.routing import LOCATION, created

PatientPage = page_of(PatientOut, "PatientPage", planned=True)


@blp.route("/patients")
class Patients(MethodView):
    # The cyclic collector waits for the answer: a page's rows, summaries and output live until
    # it is sent, and collections meanwhile only walked (and aged) them.
    @collector_paused()
    @allow(STAFF)
    @blp.arguments(PatientListArgs, location="query")
    @blp.response(200, PatientPage)
    @blp.doc(operationId="listPatients")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The clinic's patients by name, each with a 7-day summary.

        Staff only, the caller's clinic. Sorted by name; each patient carries `adherence_7d`,
        `pain_7d_mean`, `open_flags` by severity and `last_activity_at`.
        """
        items, next_cursor = services.list_patients(actor=current_actor(), **args)
        return {"items": items, "next_cursor": next_cursor}

    @allow(STAFF)
    @blp.arguments(PatientIn)
    @blp.response(201, PatientDetailOut, headers=LOCATION)
    @blp.alt_response(409, description="The email address is taken.")
    @blp.doc(operationId="createPatient")
    def post(self, body: dict[str, Any]) -> Any:
        """Create a patient in the caller's clinic (assigned to the caller by default).

        Staff only. The patient belongs to the caller's clinic and is assigned to the caller, or to
        `therapist_id` (admins). Then issue an invitation so the patient can activate the app.
        """
        view = services.create_patient(actor=current_actor(), **body)
        return created(view, f"/api/v1/patients/{view.patient.id}")


@blp.route("/patients/<uuid:patient_id>")
class PatientDetail(MethodView):
    @allow(STAFF)
    @blp.response(200, PatientDetailOut)
    @blp.doc(operationId="getPatient")
    def get(self, patient_id: uuid.UUID) -> Any:
        """One patient with the summary and preferences.

        Staff of the patient's clinic. Reading a patient is audited.
        """
        return services.get_patient(patient_id, actor=current_actor())

    @allow(STAFF)
    @blp.arguments(PatientPatchIn)
    @blp.response(200, PatientDetailOut)
    @blp.doc(operationId="updatePatient")
    def patch(self, body: dict[str, Any], patient_id: uuid.UUID) -> Any:
        """Change a patient's profile; reassigning the therapist is for clinic admins.

        Send only the fields to change. Only a clinic admin may reassign the therapist.
        """
        return services.update_patient(patient_id, actor=current_actor(), changes=body)


@blp.route("/patients/<uuid:patient_id>/invitations")
class PatientInvitations(MethodView):
    @allow(STAFF)
    @blp.response(201, InvitationOut, headers=LOCATION)
    @blp.doc(operationId="createInvitation")
    def post(self, patient_id: uuid.UUID) -> Any:
        """Issue a 7-day activation code; any older unused code stops working.

        The code is shown once: hand it to the patient (or show its QR code). It is valid for 7
        days; issuing a new one retires the old.
        """
        invitation = invitations.create_invitation(patient_id, actor=current_actor())
        return created(invitation, f"/api/v1/patients/{patient_id}")
