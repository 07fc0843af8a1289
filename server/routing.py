"""The API's blueprint class, and the list of blueprints it serves, one per domain."""

from __future__ import annotations

from typing import Any

import flask_smorest

from server.http import DepthSafeParser


class Blueprint(flask_smorest.Blueprint):
    """A flask-smorest blueprint whose ``@blp.arguments`` parse JSON bodies with
    :class:`server.http.DepthSafeParser`."""

    ARGUMENTS_PARSER = DepthSafeParser()


# The header a 201 carries, as documented on the operations that answer with :func:`created`.
LOCATION = {
    "Location": {"description": "The URL of what was created.", "schema": {"type": "string"}}
}


def created(body: Any, location: str) -> tuple[Any, int, dict[str, str]]:
    """A 201 answer naming the new resource's URL in ``Location``."""
    return body, 201, {"Location": location}


def all_blueprints() -> list[Blueprint]:
    """Import and return every domain's blueprint."""
    from server.accounts.routes import blp as accounts
    from server.adherence.routes import blp as adherence
    from server.audit.routes import blp as audit
    from server.clinics.routes import blp as clinics
    from server.flags.routes import blp as flags
    from server.health import blp as health
    from server.measures.routes import blp as measures
    from server.programmes.routes import blp as programmes
    from server.reminders.routes import blp as reminders
    from server.tracking.routes import blp as tracking

    return [
        health,
        accounts,
        audit,
        programmes,
        tracking,
        measures,
        adherence,
        flags,
        reminders,
        clinics,
    ]
