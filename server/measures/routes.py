"""HTTP routes of outcome measures: the library, measures scheduled on a programme, the patient's
responses and a patient's series."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView

from server.access import AUTHENTICATED, PATIENT, STAFF, allow, current_actor
from server.measures import due, queries, services
from server.measures.library_schemas import MeasurePage
from server.measures.schemas import (
    DueMeasuresOut,
    MeasureResponseIn,
    MeasureResponseOut,
    MeasureScheduleIn,
    MeasureScheduleOut,
    MeasureSchedulePage,
    MeasureSeriesPage,
)
from server.pagination import PageArgs
from server.routing import LOCATION, Blueprint, created

blp = Blueprint(
    "measures",
    __name__,
    url_prefix="/api/v1",
    description="Outcome measures (NDI, PSFS, GROC, HIT-6): the library, measures scheduled on a "
    "programme, the patient's scored responses and each measure's series",
)
REPLAY = "An identical replay: the body of the original 201, against today's baseline."
# Input schemas are passed as instances: given a class, webargs builds a new one per request.


def _page(result: tuple[list[Any], str | None]) -> dict[str, Any]:
    items, next_cursor = result
    return {"items": items, "next_cursor": next_cursor}


@blp.route("/measures")
class Measures(MethodView):
    @allow(AUTHENTICATED)
    @blp.arguments(PageArgs(), location="query")
    @blp.response(200, MeasurePage)
    @blp.doc(operationId="listMeasures")
    def get(self, args: dict[str, Any]):
        """The outcome-measure library, by code, in Turkish and English.

        Every role: the app shows the questions from here. Each measure has its items with their
        answers and scores, the scoring and missing-item rules, the bands, and the minimal
        clinically important difference (MCID) and minimal detectable change (MDC) with their
        citations. `wording` says whether the text is a paraphrase or a licensed validated one.
        """
        return _page(queries.list_measures(**args))


@blp.route("/programmes/<uuid:programme_id>/measures")
class ProgrammeMeasures(MethodView):
    @allow(STAFF)
    @blp.arguments(PageArgs(), location="query")
    @blp.response(200, MeasureSchedulePage)
    @blp.doc(operationId="listProgrammeMeasures")
    def get(self, args: dict[str, Any], programme_id: uuid.UUID):
        """The measures scheduled on a programme, each with its administrations so far.

        Staff of the patient's clinic. By measure code; each schedule lists the administrations due
        by today and the next one, with the dates each is answerable.
        """
        actor = current_actor()
        return _page(queries.list_schedules(actor=actor, programme_id=programme_id, **args))

    @allow(STAFF)
    @blp.arguments(MeasureScheduleIn())
    @blp.response(201, MeasureScheduleOut, headers=LOCATION)
    @blp.alt_response(409, description="Already scheduled on it, or the programme has ended.")
    @blp.doc(operationId="scheduleProgrammeMeasure")
    def post(self, data: dict[str, Any], programme_id: uuid.UUID):
        """Schedule a measure on a programme: at its start, every N weeks, at its end.

        Staff only. Each administration stays answerable for `window_days` (7 by default). A change
        score (GROC) is not asked at the start. 409 when the measure is already scheduled on the
        programme, or the programme has ended.
        """
        view = services.attach_measure(actor=current_actor(), programme_id=programme_id, data=data)
        return created(view, f"/api/v1/programmes/{programme_id}/measures/{view.id}")


@blp.route("/programmes/<uuid:programme_id>/measures/<uuid:measure_schedule_id>")
class ProgrammeMeasure(MethodView):
    @allow(STAFF)
    @blp.response(200, MeasureScheduleOut)
    @blp.doc(operationId="getProgrammeMeasure")
    def get(self, programme_id: uuid.UUID, measure_schedule_id: uuid.UUID):
        """One measure scheduled on the programme, with its administrations so far.

        Staff of the patient's clinic. 404 once it has been removed.
        """
        return queries.get_schedule(
            actor=current_actor(),
            programme_id=programme_id,
            schedule_id=measure_schedule_id,
        )

    @allow(STAFF)
    @blp.response(204)
    @blp.doc(operationId="removeProgrammeMeasure")
    def delete(self, programme_id: uuid.UUID, measure_schedule_id: uuid.UUID):
        """Stop a scheduled measure; the patient's responses to it stay.

        Staff only. Nothing more falls due; the series keeps every response.
        """
        services.remove_measure(
            actor=current_actor(), programme_id=programme_id, schedule_id=measure_schedule_id
        )


@blp.route("/me/measures/due")
class DueMeasures(MethodView):
    @allow(PATIENT)
    @blp.response(200, DueMeasuresOut)
    @blp.doc(operationId="listMyDueMeasures")
    def get(self):
        """The questionnaires I am asked to answer now, in my language.

        Patients only. Each administration a therapist scheduled is open from its due date for
        its window (7 days by default) and closes once answered: post the answers to
        `recordMeasureResponse` with its `administration_id`. After the window it counts as
        missed and is no longer listed. The same items are in the plan (`getMyPlan`).
        """
        return {"items": due.list_due(actor=current_actor())}


@blp.route("/me/measure-responses")
class MeasureResponses(MethodView):
    @allow(PATIENT)
    @blp.arguments(MeasureResponseIn())
    @blp.response(201, MeasureResponseOut)
    @blp.alt_response(200, schema=MeasureResponseOut, description=REPLAY)
    @blp.alt_response(
        409, description="The id holds another record, or the administration is done."
    )
    @blp.doc(operationId="recordMeasureResponse")
    def post(self, body: dict[str, Any]):
        """Answer an outcome measure; the answer carries the score, band and change from baseline.

        Patients only. `answers` gives each item's chosen `value` (see `listMeasures`); an item left out
        or null is unanswered (NDI: one may be, and the total is then scaled from the answered items;
        two are refused). The first response to a measure is the baseline; later ones report the
        `change` from it (positive is better) and `improved`, `no_meaningful_change` or `worsened` by
        the measure's MCID. Idempotent by the client `id`, like every record.
        """
        view, was_created = services.record_response(actor=current_actor(), body=body)
        return view, 201 if was_created else 200


@blp.route("/patients/<uuid:patient_id>/measures")
class PatientMeasures(MethodView):
    @allow(STAFF)
    @blp.arguments(PageArgs(), location="query")
    @blp.response(200, MeasureSeriesPage)
    @blp.doc(operationId="listPatientMeasures")
    def get(self, args: dict[str, Any], patient_id: uuid.UUID):
        """Each measure the patient has answered, with its series of scored responses.

        Staff of the patient's clinic; by measure code. Every response has its score, band, change
        from the baseline (the first response) and interpretation by the MCID, which comes with
        its citation. Audited for the patient.
        """
        return _page(
            queries.list_patient_series(actor=current_actor(), patient_id=patient_id, **args)
        )
