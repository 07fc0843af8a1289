"""Liveness and database health."""

from __future__ import annotations

import sqlalchemy as sa
from flask.views import MethodView
from marshmallow import Schema, fields

from server.access import PUBLIC, allow
from server.errors import problem
from server.extensions import db
from server.routing import Blueprint

blp = Blueprint("health", __name__, description="Service health")


class HealthOut(Schema):
    status = fields.String(required=True)
    database = fields.String(required=True)


@blp.route("/healthz")
class Health(MethodView):
    @allow(PUBLIC)
    @blp.response(200, HealthOut)
    @blp.alt_response(503, description="The database is unreachable.")
    @blp.doc(operationId="getHealth")
    def get(self):
        """Report whether the service and its database answer.

        200 when the service and its database answer; 503 (with `Retry-After`) when the database does
        not. Needs no token; for load balancers and uptime checks.
        """
        try:
            db.session.execute(sa.text("SELECT 1"))
        except sa.exc.SQLAlchemyError:
            db.session.rollback()
            return problem(
                503, "Service Unavailable", "The database is unreachable.", database="unavailable"
            )
        return {"status": "ok", "database": "ok"}
