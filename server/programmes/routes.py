"""HTTP routes of the programmes domain: library, templates, programmes, revisions and the plan."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView

from server.access import PATIENT, STAFF, allow, current_actor
from server.pagination import PageArgs
from server.programmes import library, plan, queries, services
from server.programmes.library_schemas import (
    ExerciseIn,
    ExerciseListArgs,
    ExerciseOut,
    ExercisePage,
    ExercisePatchIn,
)
from server.programmes.plan_schemas import PlanArgs, PlanOut
from server.programmes.schemas import (
    EndIn,
    IntensityIn,
    ProgrammeIn,
    ProgrammeOut,
    ProgrammePage,
    RevisionIn,
    RevisionPage,
    TemplatePage,
)
from server.routing import LOCATION, Blueprint, created

blp = Blueprint(
    "programmes", __name__, url_prefix="/api/v1", description="Exercises, programmes and plans"
)


def _page(result: tuple[list[Any], str | None]) -> dict[str, Any]:
    items, next_cursor = result
    return {"items": items, "next_cursor": next_cursor}


@blp.route("/exercises")
class Exercises(MethodView):
    @allow(STAFF)
    @blp.arguments(ExerciseListArgs(), location="query")
    @blp.response(200, ExercisePage)
    @blp.doc(operationId="listExercises")
    def get(self, args: dict[str, Any]):
        """The shared library and the clinic's own exercises, by slug (retired ones on request).

        Staff only. The shared library and the clinic's own exercises, each with names and
        instructions in Turkish and English and its progression ladder.
        """
        return _page(library.list_exercises(actor=current_actor(), **args))

    @allow(STAFF)
    @blp.arguments(ExerciseIn())
    @blp.response(201, ExerciseOut, headers=LOCATION)
    @blp.alt_response(409, description="The slug is taken.")
    @blp.doc(operationId="createExercise")
    def post(self, data: dict[str, Any]):
        """Add one of the clinic's own exercises, with its progression ladder.

        Staff only. The ladder's levels are numbered 1, 2, 3, … in order; the slug is unique in the
        clinic and the shared library.
        """
        exercise = library.create_exercise(actor=current_actor(), data=data)
        return created(exercise, f"/api/v1/exercises/{exercise.id}")


@blp.route("/exercises/<uuid:exercise_id>")
class ExerciseDetail(MethodView):
    @allow(STAFF)
    @blp.arguments(ExercisePatchIn())
    @blp.response(200, ExerciseOut)
    @blp.doc(operationId="updateExercise")
    def patch(self, changes: dict[str, Any], exercise_id: uuid.UUID):
        """Edit or retire one of the clinic's own exercises (the shared library is read-only).

        Staff only. The shared library cannot be changed; a retired exercise stays in the programmes
        that use it.
        """
        return library.update_exercise(exercise_id, actor=current_actor(), changes=changes)


@blp.route("/programme-templates")
class Templates(MethodView):
    @allow(STAFF)
    @blp.arguments(PageArgs(), location="query")
    @blp.response(200, TemplatePage)
    @blp.doc(operationId="listProgrammeTemplates")
    def get(self, args: dict[str, Any]):
        """The programme templates loaded from seed data.

        Staff only. Each template is a starting point for `createProgramme`.
        """
        return _page(library.list_templates(**args))


@blp.route("/patients/<uuid:patient_id>/programmes")
class PatientProgrammes(MethodView):
    @allow(STAFF)
    @blp.arguments(PageArgs(), location="query")
    @blp.response(200, ProgrammePage)
    @blp.doc(operationId="listPatientProgrammes")
    def get(self, args: dict[str, Any], patient_id: uuid.UUID):
        """The patient's programmes, newest first, each with its current revision.

        Staff of the patient's clinic. Newest first.
        """
        return _page(queries.list_programmes(actor=current_actor(), patient_id=patient_id, **args))

    @allow(STAFF)
    @blp.arguments(ProgrammeIn())
    @blp.response(201, ProgrammeOut, headers=LOCATION)
    @blp.doc(operationId="createProgramme")
    def post(self, data: dict[str, Any], patient_id: uuid.UUID):
        """Create a programme (revision 1); it replaces the patient's active one.

        Staff only. Give a `template` or `items` (or both: the items replace the template's). The
        answer is the programme with revision 1; it replaces the patient's active programme from
        `start_date`.
        """
        programme = services.create_programme(actor=current_actor(), patient_id=patient_id, **data)
        return created(programme, f"/api/v1/programmes/{programme.id}")


@blp.route("/programmes/<uuid:programme_id>")
class ProgrammeDetail(MethodView):
    @allow(STAFF)
    @blp.response(200, ProgrammeOut)
    @blp.doc(operationId="getProgramme")
    def get(self, programme_id: uuid.UUID):
        """The programme with its current revision.

        Staff of the patient's clinic.
        """
        return queries.get_programme(actor=current_actor(), programme_id=programme_id)


@blp.route("/programmes/<uuid:programme_id>/revisions")
class ProgrammeRevisions(MethodView):
    @allow(STAFF)
    @blp.arguments(PageArgs(), location="query")
    @blp.response(200, RevisionPage)
    @blp.doc(operationId="listProgrammeRevisions")
    def get(self, args: dict[str, Any], programme_id: uuid.UUID):
        """The programme's full history, revision 1 first.

        Revisions are immutable; logs are judged against the revision in force when they were
        recorded.
        """
        return _page(
            queries.list_revisions(actor=current_actor(), programme_id=programme_id, **args)
        )

    @allow(STAFF)
    @blp.arguments(RevisionIn())
    @blp.response(201, ProgrammeOut, headers=LOCATION)
    @blp.alt_response(409, description="base_revision is stale; the body has current_revision.")
    @blp.doc(operationId="reviseProgramme")
    def post(self, data: dict[str, Any], programme_id: uuid.UUID):
        """A new revision on top of base_revision; omitted parts carry over.

        Send the revision you edited as `base_revision`: if someone changed the programme since, the
        answer is 409 with `current_revision`.
        """
        programme = services.revise_programme(
            actor=current_actor(), programme_id=programme_id, **data
        )
        return created(programme, f"/api/v1/programmes/{programme_id}")


@blp.route("/programmes/<uuid:programme_id>/intensity")
class ProgrammeIntensity(MethodView):
    @allow(STAFF)
    @blp.arguments(IntensityIn())
    @blp.response(201, ProgrammeOut, headers=LOCATION)
    @blp.alt_response(409, description="base_revision is stale; the body has current_revision.")
    @blp.doc(operationId="changeProgrammeIntensity")
    def post(self, data: dict[str, Any], programme_id: uuid.UUID):
        """Progress or regress the chosen items one ladder level (422 at a ladder end).

        Moves each chosen item (all when `item_ids` is omitted) one level up or down its ladder, as
        a new revision. 409 when `base_revision` is stale; 422 when an item is already at the end of
        its ladder.
        """
        programme = services.change_intensity(
            actor=current_actor(), programme_id=programme_id, **data
        )
        return created(programme, f"/api/v1/programmes/{programme_id}")


@blp.route("/programmes/<uuid:programme_id>/end")
class EndProgramme(MethodView):
    @allow(STAFF)
    @blp.arguments(EndIn())
    @blp.response(200, ProgrammeOut)
    @blp.alt_response(409, description="The programme has already ended.")
    @blp.doc(operationId="endProgramme")
    def post(self, data: dict[str, Any], programme_id: uuid.UUID):
        """End the active programme today (a discharge).

        Reminders stop after today, adherence is no longer judged, and open adherence and progression
        flags close as `programme_ended`. 409 when it has already ended.
        """
        return services.end_programme(actor=current_actor(), programme_id=programme_id, **data)


@blp.route("/me/plan")
class MyPlan(MethodView):
    @allow(PATIENT)
    @blp.arguments(PlanArgs(), location="query")
    @blp.response(200, PlanOut)
    @blp.doc(operationId="getMyPlan")
    def get(self, args: dict[str, Any]):
        """My plan for a local date (default today): sessions, dosage, status, posture breaks.

        Patients only. Sessions with their slot, local time, status and items (dosage and
        instructions in the patient's language), the posture-break rule and window, and the revision
        number.
        """
        actor = current_actor()
        return plan.plan_for(actor=actor, patient_id=actor.user_id, day=args["date"])


@blp.route("/patients/<uuid:patient_id>/plan")
class PatientPlan(MethodView):
    @allow(STAFF)
    @blp.arguments(PlanArgs(), location="query")
    @blp.response(200, PlanOut)
    @blp.doc(operationId="getPatientPlan")
    def get(self, args: dict[str, Any], patient_id: uuid.UUID):
        """A patient's plan for a local date, exactly as the patient sees it.

        Staff of the patient's clinic; the same body as `getMyPlan`.
        """
        return plan.plan_for(actor=current_actor(), patient_id=patient_id, day=args["date"])
