"""Staff, for staff: the clinic's therapists and admins; admins create and change them."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView

from server.access import ADMIN, STAFF, allow, current_actor
from server.accounts import services
from server.accounts.routes.blueprint import blp
from server.accounts.schemas import (
    TherapistIn,
    TherapistOut,
    TherapistPatchIn,
)
from server.pagination import PageArgs, page_of
from server.routing import LOCATION, created

TherapistPage = page_of(TherapistOut, "TherapistPage")


@blp.route("/therapists")
class Therapists(MethodView):
    @allow(STAFF)
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, TherapistPage)
    @blp.doc(operationId="listTherapists")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The therapists and admins of the caller's clinic.

        Staff only. Active and deactivated staff, by name.
        """
        items, next_cursor = services.list_staff(actor=current_actor(), **args)
        return {"items": items, "next_cursor": next_cursor}

    @allow(ADMIN)
    @blp.arguments(TherapistIn)
    @blp.response(201, TherapistOut, headers=LOCATION)
    @blp.alt_response(409, description="The email address is taken.")
    @blp.doc(operationId="createTherapist")
    def post(self, body: dict[str, Any]) -> Any:
        """Create a therapist or clinic admin in the caller's clinic (clinic admins only).

        Clinic admins only. The new staff member logs in with the given password.
        """
        actor = current_actor()
        staff = services.create_staff(clinic_id=actor.clinic_id, actor=actor, **body)
        return created(staff, f"/api/v1/therapists/{staff.id}")


@blp.route("/therapists/<uuid:user_id>")
class TherapistDetail(MethodView):
    @allow(ADMIN)
    @blp.arguments(TherapistPatchIn)
    @blp.response(200, TherapistOut)
    @blp.alt_response(409, description="The clinic would have no active admin left.")
    @blp.doc(operationId="updateTherapist")
    def patch(self, body: dict[str, Any], user_id: uuid.UUID) -> Any:
        """Change a staff member's name, language or role, or deactivate them.

        Clinic admins only. A role change or deactivation ends the person's sessions; the clinic always
        keeps one active admin (else 409).
        """
        return services.update_staff(user_id, actor=current_actor(), changes=body)
