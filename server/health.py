"""Liveness, readiness and database health: the probes a load balancer or orchestrator calls."""

from __future__ import annotations

import functools

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask.views import MethodView
from marshmallow import Schema, fields

from server.access import PUBLIC, allow
from server.config import PROJECT_ROOT
from server.errors import problem
from server.extensions import db
from server.routing import Blueprint

blp = Blueprint("health", __name__, description="Service health")
UNREACHABLE = "The database is unreachable."
NOT_AT_HEAD = "The database schema is not at the migrations' head: run flask db upgrade."


class HealthOut(Schema):
    status = fields.String(required=True)
    database = fields.String(required=True)


class LiveOut(Schema):
    status = fields.String(required=True)


class ReadyOut(Schema):
    status = fields.String(required=True)
    database = fields.String(required=True)
    migrations = fields.String(required=True, metadata={"description": "`head` when ready."})


@functools.cache
def migration_heads() -> frozenset[str]:
    """The revisions this code's migrations end at (read once, on the first readiness check)."""
    return frozenset(ScriptDirectory(str(PROJECT_ROOT / "migrations")).get_heads())


def database_revisions() -> frozenset[str]:
    """The revisions the database is stamped with (none when it was never migrated)."""
    connection = db.session.connection()
    return frozenset(MigrationContext.configure(connection).get_current_heads())


def _unreachable():
    db.session.rollback()
    return problem(503, "Service Unavailable", UNREACHABLE, database="unavailable")


@blp.route("/healthz")
class Health(MethodView):
    @allow(PUBLIC)
    @blp.response(200, HealthOut)
    @blp.alt_response(503, description=UNREACHABLE)
    @blp.doc(operationId="getHealth")
    def get(self):
        """Report whether the service and its database answer.

        200 when the service and its database answer; 503 (with `Retry-After`) when the database does
        not. Needs no token; for load balancers and uptime checks.
        """
        try:
            db.session.execute(sa.text("SELECT 1"))
        except sa.exc.SQLAlchemyError:
            return _unreachable()
        return {"status": "ok", "database": "ok"}


@blp.route("/livez")
class Liveness(MethodView):
    @allow(PUBLIC)
    @blp.response(200, LiveOut)
    @blp.doc(operationId="getLiveness")
    def get(self):
        """Report that the process is up and serving, without touching the database.

        Always 200 while the process answers: restart it only when this fails, since a database
        outage is not cured by restarting the API. Needs no token.
        """
        return {"status": "ok"}


@blp.route("/readyz")
class Readiness(MethodView):
    @allow(PUBLIC)
    @blp.response(200, ReadyOut)
    @blp.alt_response(503, description=f"{UNREACHABLE} Or: {NOT_AT_HEAD}")
    @blp.doc(operationId="getReadiness")
    def get(self):
        """Report whether this process should get traffic: its database answers and its schema is
        at the migrations' head.

        200 when both hold; 503 problem+json otherwise (`database`: `unavailable`, or `migrations`:
        `not-at-head`, e.g. a new release started before `flask db upgrade`). Needs no token.
        """
        try:
            current = database_revisions()
        except sa.exc.SQLAlchemyError:
            return _unreachable()
        if current != migration_heads():
            return problem(
                503, "Service Unavailable", NOT_AT_HEAD, database="ok", migrations="not-at-head"
            )
        return {"status": "ok", "database": "ok", "migrations": "head"}
