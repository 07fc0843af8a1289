"""HTTP routes of the programmes domain: library, templates, programmes, revisions and the plan."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView

from server.access import PATIENT, STAFF, allow, current_actor
from server.pagination import PageArgs
from server.programmes import library, plan, reads, services
from server.programmes.plan_schemas import PlanArgs, PlanOut
from server.programmes.schemas import (
    EndIn,
    ExerciseIn,
    ExerciseListArgs,
    ExerciseOut,
    ExercisePage,
    ExercisePatchIn,
    IntensityIn,
    ProgrammeIn,
    ProgrammeOut,
    ProgrammePage,
    RevisionIn,
    RevisionPage,
    TemplatePage,
)
from server.routing import Blueprint

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
    def get(self, args: dict[str, Any]):
        """The shared library and the clinic's own exercises, by slug (retired ones on request)."""
        return _page(library.list_exercises(actor=current_actor(), **args))

    @allow(STAFF)
    @blp.arguments(ExerciseIn())
    @blp.response(201, ExerciseOut)
    @blp.alt_response(409, description="The slug is taken.")
    def post(self, data: dict[str, Any]):
        """Add one of the clinic's own exercises, with its progression ladder."""
        return library.create_exercise(actor=current_actor(), data=data)


@blp.route("/exercises/<uuid:exercise_id>", methods=["PATCH"])
@allow(STAFF)
@blp.arguments(ExercisePatchIn())
@blp.response(200, ExerciseOut)
def update_exercise(changes: dict[str, Any], exercise_id: uuid.UUID):
    """Edit or retire one of the clinic's own exercises (the shared library is read-only)."""
    return library.update_exercise(exercise_id, actor=current_actor(), changes=changes)


@blp.route("/programme-templates")
class Templates(MethodView):
    @allow(STAFF)
    @blp.arguments(PageArgs(), location="query")
    @blp.response(200, TemplatePage)
    def get(self, args: dict[str, Any]):
        """The programme templates loaded from seed data."""
        return _page(library.list_templates(**args))


@blp.route("/patients/<uuid:patient_id>/programmes")
class PatientProgrammes(MethodView):
    @allow(STAFF)
    @blp.arguments(PageArgs(), location="query")
    @blp.response(200, ProgrammePage)
    def get(self, args: dict[str, Any], patient_id: uuid.UUID):
        """The patient's programmes, newest first, each with its current revision."""
        return _page(reads.list_programmes(actor=current_actor(), patient_id=patient_id, **args))

    @allow(STAFF)
    @blp.arguments(ProgrammeIn())
    @blp.response(201, ProgrammeOut)
    def post(self, data: dict[str, Any], patient_id: uuid.UUID):
        """Create a programme (revision 1); it replaces the patient's active one."""
        return services.create_programme(actor=current_actor(), patient_id=patient_id, **data)


@blp.route("/programmes/<uuid:programme_id>")
class ProgrammeDetail(MethodView):
    @allow(STAFF)
    @blp.response(200, ProgrammeOut)
    def get(self, programme_id: uuid.UUID):
        """The programme with its current revision."""
        return reads.get_programme(actor=current_actor(), programme_id=programme_id)


@blp.route("/programmes/<uuid:programme_id>/revisions")
class ProgrammeRevisions(MethodView):
    @allow(STAFF)
    @blp.arguments(PageArgs(), location="query")
    @blp.response(200, RevisionPage)
    def get(self, args: dict[str, Any], programme_id: uuid.UUID):
        """The programme's full history, revision 1 first."""
        return _page(reads.list_revisions(actor=current_actor(), programme_id=programme_id, **args))

    @allow(STAFF)
    @blp.arguments(RevisionIn())
    @blp.response(201, ProgrammeOut)
    @blp.alt_response(409, description="base_revision is stale; the body has current_revision.")
    def post(self, data: dict[str, Any], programme_id: uuid.UUID):
        """A new revision on top of base_revision; omitted parts carry over."""
        return services.revise_programme(actor=current_actor(), programme_id=programme_id, **data)


@blp.route("/programmes/<uuid:programme_id>/intensity")
class ProgrammeIntensity(MethodView):
    @allow(STAFF)
    @blp.arguments(IntensityIn())
    @blp.response(201, ProgrammeOut)
    @blp.alt_response(409, description="base_revision is stale; the body has current_revision.")
    def post(self, data: dict[str, Any], programme_id: uuid.UUID):
        """Progress or regress the chosen items one ladder level (422 at a ladder end)."""
        return services.change_intensity(actor=current_actor(), programme_id=programme_id, **data)


@blp.route("/programmes/<uuid:programme_id>/end", methods=["POST"])
@allow(STAFF)
@blp.arguments(EndIn())
@blp.response(200, ProgrammeOut)
@blp.alt_response(409, description="The programme has already ended.")
def end_programme(data: dict[str, Any], programme_id: uuid.UUID):
    """End the active programme today (a discharge): reminders stop after today, and adherence
    and its flags are no longer judged."""
    return services.end_programme(actor=current_actor(), programme_id=programme_id, **data)


@blp.route("/me/plan")
class MyPlan(MethodView):
    @allow(PATIENT)
    @blp.arguments(PlanArgs(), location="query")
    @blp.response(200, PlanOut)
    def get(self, args: dict[str, Any]):
        """My plan for a local date (default today): sessions, dosage, status, posture breaks."""
        actor = current_actor()
        return plan.plan_for(actor=actor, patient_id=actor.user_id, day=args["date"])


@blp.route("/patients/<uuid:patient_id>/plan")
class PatientPlan(MethodView):
    @allow(STAFF)
    @blp.arguments(PlanArgs(), location="query")
    @blp.response(200, PlanOut)
    def get(self, args: dict[str, Any], patient_id: uuid.UUID):
        """A patient's plan for a local date, exactly as the patient sees it."""
        return plan.plan_for(actor=current_actor(), patient_id=patient_id, day=args["date"])
