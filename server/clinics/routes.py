"""HTTP routes of clinic settings: staff read them, clinic admins change them."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from server.access import ADMIN, STAFF, allow, current_actor
from server.clinics import queries, services
from server.clinics.schemas import ClinicOut, ClinicPatchIn
from server.routing import Blueprint

blp = Blueprint(
    "clinics",
    __name__,
    url_prefix="/api/v1",
    description="The clinic's settings: time zone, emergency number, digest time, language and "
    "flag thresholds",
)


@blp.route("/clinic")
class ClinicSettings(MethodView):
    @allow(STAFF)
    @blp.doc(operationId="getClinic")
    @blp.response(200, ClinicOut)
    @blp.alt_response(401, description="Missing, expired or revoked token.")
    @blp.alt_response(403, description="Patients do not read clinic settings.")
    def get(self) -> dict[str, Any]:
        """The caller's clinic settings, with every flag threshold in force and its source.

        Staff only. The clinic's name, time zone, emergency number, digest time, default language,
        `erasure_retention` (what erasing a patient does to their clinical records), its own
        flag-threshold overrides, and every threshold in force with its source (`clinic` or
        `default`).
        """
        return queries.get_clinic(actor=current_actor())

    @allow(ADMIN)
    @blp.doc(operationId="updateClinic")
    @blp.arguments(ClinicPatchIn())
    @blp.response(200, ClinicOut)
    @blp.alt_response(401, description="Missing, expired or revoked token.")
    @blp.alt_response(403, description="Only a clinic admin changes clinic settings.")
    def patch(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Change any of the clinic's settings; a threshold change re-evaluates its patients.

        Thresholds given merge into the clinic's overrides: a number sets one, null restores
        the default. 422 for an unknown threshold or a value outside its range.
        """
        return services.update_clinic(actor=current_actor(), changes=changes)
