"""HTTP hardening: security headers, body limits, and JSON bodies that parse or fail as 400."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import marshmallow as ma
import orjson
from flask import Flask, Response, request, send_from_directory
from flask.json.provider import DefaultJSONProvider
from marshmallow import RAISE
from webargs.core import missing
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.exceptions import RequestEntityTooLarge, UnsupportedMediaType
from werkzeug.middleware.proxy_fix import ProxyFix

from server.bodies import BodyReadGuard
from server.validation import strict_integers

# Python's JSON parser recurses once per nesting level, so a small body of a thousand nested
# brackets raises RecursionError, which no JSON caller expects: each parser below turns it into
# the error its callers already handle as a malformed body (a 400 problem).
TOO_DEEP = "The JSON body is nested too deeply."
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Python refuses to convert an integer literal of more than 4,300 digits (a ValueError that is
# not a JSONDecodeError, so it escaped as a 500): such a body is malformed like any other.
TOO_LONG = "A number in the JSON body has too many digits."
JSON_LOCATIONS = ("json", "json_or_form")
BODY_REQUIRED = "A JSON body with the fields to change is required."


# Dates, times and dataclasses go to Flask's own ``default``, so they read as they always did.
FAST_DUMP_OPTIONS = (
    orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)


class DepthSafeJSONProvider(DefaultJSONProvider):
    """Flask's JSON, whose ``loads`` raises ValueError for a body nested too deeply, as for any
    malformed body (``request.get_json`` answers 400, or None when ``silent``), and whose compact
    response bodies are written by orjson (a 200-patient page: 1.4 ms → 0.1 ms)."""

    def response(self, *args: Any, **kwargs: Any) -> Response:
        pretty = (self.compact is None and self._app.debug) or self.compact is False
        if pretty:
            return super().response(*args, **kwargs)
        obj = self._prepare_response_obj(args, kwargs)
        try:
            body = orjson.dumps(obj, default=self.default, option=FAST_DUMP_OPTIONS)
        except orjson.JSONEncodeError:  # what orjson refuses (keys not text, huge integers)
            return super().response(obj)
        return self._app.response_class(body + b"\n", mimetype=self.mimetype)

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError(TOO_DEEP) from None


def whole_as_integer(literal: str) -> int | float:
    """A JSON number written with a fraction or exponent that is whole (``7.0``, ``1e2``) is an
    integer, as JSON Schema counts it; any other stays a float (``2.589e-42`` is no integer)."""
    value = float(literal)
    return int(value) if value.is_integer() and abs(value) <= 2**53 else value


class DepthSafeParser(FlaskParser):
    """webargs' Flask parser (behind ``@blp.arguments``): a body nested too deeply or with an
    integer literal too long to convert is invalid JSON (400) like any other malformed body;
    a JSON body's integer fields take JSON integers only (:func:`strict_integers`), whole
    numbers written as ``7.0`` included (:func:`whole_as_integer`); a PATCH
    without a body is 422, not a change of nothing; unknown query parameters are refused as
    unknown body fields are (a misspelt filter must not silently list everything)."""

    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": RAISE,
        "querystring": RAISE,
    }

    def _raw_load_json(self, req: Any) -> Any:
        if not is_json_request(req):
            return missing
        try:
            return json.loads(req.get_data(cache=True).decode(), parse_float=whole_as_integer)
        except RecursionError:
            raise json.JSONDecodeError(TOO_DEEP, TOO_DEEP, 0) from None
        except ValueError as error:
            if isinstance(error, json.JSONDecodeError | UnicodeDecodeError):
                raise
            raise json.JSONDecodeError(TOO_LONG, TOO_LONG, 0) from None

    def _load_location_data(self, *, schema: ma.Schema, req: Any, location: str) -> Any:
        data = super()._load_location_data(schema=schema, req=req, location=location)
        if location in JSON_LOCATIONS:
            strict_integers(schema)
            if data is missing and req.method == "PATCH":
                raise ma.ValidationError({"_body": [BODY_REQUIRED]})
        return data


def register_http_hardening(app: Flask) -> None:
    """Take the client's address from trusted proxies, refuse oversize bodies early, parse JSON
    safely, add security headers, serve the bundled Swagger UI."""
    # Innermost, so that behind trusted proxies it sees the client's address.
    app.wsgi_app = BodyReadGuard(  # type: ignore[method-assign]
        app.wsgi_app,
        deadline=app.config["BODY_READ_TIMEOUT_SECONDS"],
        per_client=app.config["BODY_READS_PER_CLIENT"],
        limit=app.config["MAX_CONTENT_LENGTH"],
    )
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:
        # Behind a proxy every request comes from the proxy's address: without this, the
        # per-address rate limits would be one bucket shared by every client.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    app.json = DepthSafeJSONProvider(app)

    @app.before_request
    def _refuse_oversize_bodies() -> None:
        limit = app.config["MAX_CONTENT_LENGTH"]
        declared = request.content_length
        # A chunked upload has no length: Werkzeug stops reading at the limit without saying
        # so, which would surface as "invalid JSON". A body that fills the limit is refused.
        chunked = declared is None and request.environ.get("wsgi.input_terminated")
        too_large = declared > limit if declared is not None else False
        if too_large or (chunked and len(request.get_data(cache=True)) >= limit):
            raise RequestEntityTooLarge()

    @app.before_request
    def _refuse_bodies_that_are_not_json() -> None:
        # Without this, webargs reads a form or text body as "no JSON" and answers 422 for
        # every required field, which hides the real mistake.
        chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
        has_body = bool(request.content_length) or chunked
        if has_body and request.method in BODY_METHODS and not request.is_json:
            raise UnsupportedMediaType(
                "Send the body as JSON, with Content-Type: application/json."
            )

    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "no-referrer")
        headers.setdefault("Cache-Control", "no-store")
        if app.config["HEP_ENV"] == "production":
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response

    from swagger_ui_bundle import swagger_ui_path

    assets = Path(swagger_ui_path)

    @app.get("/api/v1/docs-assets/<path:filename>", endpoint="docs_assets")
    def _docs_assets(filename: str) -> Response:
        response = send_from_directory(assets, filename)
        response.headers["Cache-Control"] = "public, max-age=86400"
        return response
