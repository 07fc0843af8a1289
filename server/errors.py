"""Every error becomes an RFC 9457 ``application/problem+json`` response: the exceptions and the
shape, in one place (``error_handlers`` routes every exception a request raises through it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import marshmallow as ma
from flask import Response, current_app, has_request_context, json, request

from server.serialization import JSON_SCALAR_OR_LIST
from server.translations import LANGUAGES, translate

PROBLEM_MIME = "application/problem+json"


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details, as documented in the OpenAPI spec; a cause may add members."""

    # A cause may add members beyond those below (scalars or lists); clients ignore the rest.
    OPENAPI = {"additionalProperties": JSON_SCALAR_OR_LIST}

    type = ma.fields.String(
        required=True, metadata={"description": "Stable per cause, e.g. /problems/token-expired."}
    )
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String(required=True, metadata={"description": "In the reader's language."})
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.String()),
        metadata={"description": "422 only: the messages for each invalid field."},
    )
    current_revision = ma.fields.Integer(
        metadata={"description": "409 on a programme: the revision now in force."}
    )
    end_date = ma.fields.Date(metadata={"description": "409 on ending: when it ended."})
    flag_status = ma.fields.String(metadata={"description": "409 on a flag: its status now."})
    id = ma.fields.UUID(metadata={"description": "409 on a record: the id already taken."})
    current_version = ma.fields.Integer(
        allow_none=True,
        metadata={"description": "409 `consent-not-current`: the consent text version in force."},
    )


class AppError(Exception):
    """A domain error with an HTTP status; raised by services, rendered by the error handler."""

    status = 400
    title = "Bad Request"
    slug = "bad-request"
    headers: Mapping[str, str] = {}

    def __init__(
        self,
        detail: str = "",
        *,
        errors: dict[str, Any] | None = None,
        keep_changes: bool = False,
        **extra: Any,
    ):
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors
        # Commit what the request did before failing (e.g. revoking a token family on re-use).
        self.keep_changes = keep_changes
        self.extra = extra


class Unauthorized(AppError):
    status, title, slug = 401, "Unauthorized", "unauthorized"


class TokenMissing(Unauthorized):
    """No bearer token (or none in the Authorization header's bearer form): log in."""

    slug = "token-missing"
    headers = {"WWW-Authenticate": "Bearer"}


class TokenExpired(Unauthorized):
    """A genuine token past its lifetime: refresh it (an access token) or log in again."""

    slug = "token-expired"
    headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


class TokenRevoked(Unauthorized):
    """The token's session has ended (logout, password change, refresh re-use): log in again."""

    slug = "token-revoked"
    headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


class TokenInvalid(Unauthorized):
    """Malformed, badly signed, of the wrong kind, or naming what this service never issued."""

    slug = "token-invalid"
    headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


class Forbidden(AppError):
    status, title, slug = 403, "Forbidden", "forbidden"


class NotFound(AppError):
    status, title, slug = 404, "Not Found", "not-found"


class Conflict(AppError):
    status, title, slug = 409, "Conflict", "conflict"


class AmbiguousLogin(Conflict):
    """An address and password that open accounts at several clinics: the login names one."""

    slug = "choose-clinic"


class ConsentNotCurrent(Conflict):
    """The consent version the app showed is not the one in force: show the text again."""

    slug = "consent-not-current"


class ProcessingStopped(Conflict):
    """The patient withdrew consent: new records and responses are refused."""

    slug = "consent-withdrawn"


class Gone(AppError):
    status, title, slug = 410, "Gone", "gone"


class Unprocessable(AppError):
    status, title, slug = 422, "Unprocessable Content", "validation-error"


class ServiceUnavailable(AppError):
    status, title, slug = 503, "Service Unavailable", "service-unavailable"


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    slug: str | None = None,
    errors: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """Build a problem+json response."""
    language = reader_language()
    body: dict[str, Any] = {
        "type": f"/problems/{slug or title.lower().replace(' ', '-')}",
        "title": translate(title, language),
        "status": status,
        "detail": translate(detail, language),
    }
    if errors is not None:
        body["errors"] = reader_messages(errors, language)
    body.update(extra)
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_MIME)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def reader_messages(errors: Mapping[Any, Any], language: str | None = None) -> dict[str, list[str]]:
    """``{field: [messages]}`` as :func:`field_messages` gives them, in the reader's language."""
    language = language or reader_language()
    return {
        field: [translate(message, language) for message in messages]
        for field, messages in field_messages(errors).items()
    }


def reader_language() -> str:
    """``tr`` or ``en``: the request's Accept-Language, else the signed-in user's language (the
    lookup ``create_app`` registers), else English."""
    if not has_request_context():
        return "en"
    if best := request.accept_languages.best_match(LANGUAGES):
        return best
    lookup = current_app.extensions.get("reader_language")
    try:
        return (lookup() if lookup else None) or "en"
    except Exception:  # an error answer must not fail in turn (the database may be down)
        return "en"


def flatten_messages(messages: Any) -> dict[str, list[str]]:
    """Turn webargs' ``{location: {field: [...]}}`` into ``{field: [messages]}``."""
    if not isinstance(messages, dict):
        return field_messages({"_body": messages})
    locations = {"json", "query", "querystring", "form", "headers", "view_args", "path", "files"}
    if messages and set(messages) <= locations:
        merged: dict[str, Any] = {}
        for by_field in messages.values():
            merged.update(by_field if isinstance(by_field, dict) else {"_body": by_field})
        messages = merged
    return field_messages(messages)


def field_messages(errors: Mapping[Any, Any]) -> dict[str, list[str]]:
    """Errors as the API promises them, ``{field: [messages]}`` with string messages: an error
    inside a nested field is one of its field's messages, prefixed with its path there
    (``answers: ["thunderclap: Not a valid boolean."]``, ``items: ["0.item_id: …"]``); a nested
    schema's own errors (marshmallow's ``_schema``) carry no prefix."""
    flat: dict[str, list[str]] = {}

    def walk(field: str, path: tuple[str, ...], value: Any) -> None:
        if isinstance(value, Mapping):
            for key, inner in value.items():
                name = str(key)
                if not field:
                    walk(name, (), inner)
                else:
                    walk(field, path if name == "_schema" else (*path, name), inner)
            return
        for message in value if isinstance(value, list | tuple) else [value]:
            if isinstance(message, Mapping):
                walk(field, path, message)
            else:
                prefix = f"{'.'.join(path)}: " if path else ""
                flat.setdefault(field or "_body", []).append(prefix + str(message))

    walk("", (), errors)
    return flat


def problem_of(error: AppError) -> Response:
    """The problem+json response for a domain error."""
    return problem(
        error.status,
        error.title,
        error.detail,
        slug=error.slug,
        errors=error.errors,
        headers=dict(error.headers),
        **error.extra,
    )
