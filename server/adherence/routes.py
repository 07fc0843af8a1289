"""HTTP routes of the adherence domain: adherence and pain per local day."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView

from server.access import PATIENT, STAFF, allow, current_actor, get_scoped
from server.accounts.models import Patient
from server.adherence import pain, schemas, services
from server.clock import utcnow
from server.routing import Blueprint

blp = Blueprint(
    "adherence", __name__, url_prefix="/api/v1", description="Adherence and pain, per local day"
)


@blp.route("/patients/<uuid:patient_id>/adherence")
class PatientAdherence(MethodView):
    @allow(STAFF)
    @blp.arguments(schemas.RangeArgs(), location="query")
    @blp.response(200, schemas.AdherenceOut)
    @blp.doc(operationId="getPatientAdherence")
    def get(self, args: dict[str, Any], patient_id: uuid.UUID):
        """A patient's sessions and posture breaks, prescribed versus logged, per day and in total.

        Staff of the patient's clinic. One row per local day: sessions prescribed, completed, partial,
        skipped; posture breaks prescribed and logged; the ratio (completed 1, partial 0.5).
        """
        patient = get_scoped(Patient, patient_id)
        return services.adherence_report(patient=patient, actor=current_actor(), **args)


@blp.route("/me/adherence")
class MyAdherence(MethodView):
    @allow(PATIENT)
    @blp.arguments(schemas.RangeArgs(), location="query")
    @blp.response(200, schemas.AdherenceOut)
    @blp.doc(operationId="getMyAdherence")
    def get(self, args: dict[str, Any]):
        """My own adherence, per day and in total.

        Patients only; the same body as `getPatientAdherence`.
        """
        actor = current_actor()
        patient = get_scoped(Patient, actor.user_id)
        return services.adherence_report(patient=patient, actor=actor, **args)


@blp.route("/patients/<uuid:patient_id>/pain")
class PatientPain(MethodView):
    @allow(STAFF)
    @blp.arguments(schemas.RangeArgs(), location="query")
    @blp.response(200, schemas.PainOut)
    @blp.doc(operationId="getPatientPain")
    def get(self, args: dict[str, Any], patient_id: uuid.UUID):
        """A patient's daily max, mean and morning pain, headaches, and the pain baseline.

        Staff of the patient's clinic. One row per local day: max, mean and morning pain, headache count
        and minutes; plus the baseline and where it came from.
        """
        patient = get_scoped(Patient, patient_id)
        now = utcnow()
        baseline = pain.flag_baseline(patient, now)
        return pain.pain_report(
            patient=patient, actor=current_actor(), baseline=baseline, now=now, **args
        )
