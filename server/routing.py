"""The API's blueprint class and the helpers of its routes (each domain has its own blueprint,
registered by ``create_app``)."""

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
