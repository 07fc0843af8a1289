"""The OpenAPI contract's conventions, applied to every operation and schema in one place.

Routes declare what is theirs (an ``operationId``, a summary and description in the docstring,
their own error cases); what follows from the access rule, the path and the body is added here,
so every operation documents the same errors the same way.
"""

from __future__ import annotations

import http
from typing import Any

from apispec import BasePlugin
from apispec.ext.marshmallow.common import resolve_schema_instance
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from server.errors import PROBLEM_MIME, ProblemSchema
from server.serialization import TaggedUnion

API_DESCRIPTION = """\
The HEP Tracker API: therapist-prescribed home exercise programmes, the patient's diary
(sessions, pain, headaches, posture breaks, red-flag screens), adherence, and flags for
therapist review.

**Auth.** `POST /auth/login` returns a 15-minute access token and a 30-day refresh token. Send
`Authorization: Bearer <access token>` (the scheme is case-insensitive). `POST /auth/refresh`,
with the refresh token as the bearer, rotates the pair; re-using a rotated refresh token ends
the whole session. Each operation lists the roles that may call it in `x-roles`.

**Errors.** Every error is `application/problem+json` (RFC 9457) with `type`, `title`, `status`
and `detail`; `type` is stable per cause. A 422 adds `errors: {field: [messages]}`. Unknown
fields are refused. Messages follow `Accept-Language` (`tr` or `en`). A 429 or 503 carries
`Retry-After` in seconds. Bodies must be JSON (`Content-Type: application/json`, else 415) and
at most 1 MiB (else 413).

**Lists.** Paginated with `limit` (1–200) and `cursor`. Pass back the `next_cursor` of the
previous page unchanged (it is opaque); `null` means the last page.

**Idempotency.** Every patient record carries a client-generated UUID `id`. Sending the same
record again answers 200 with the stored body; the same `id` with a different body is 409.
`POST /me/sync` stores a batch item by item, so one bad item never loses the others.

**Time.** Instants are ISO 8601 with an offset, stored and returned in UTC with microsecond
precision. Dates (`YYYY-MM-DD`) are the patient's local calendar days. `recorded_at` may be up to
5 minutes ahead of the server's clock and up to 60 days in the past; date ranges (`from`/`to`)
span at most 366 days between 2000-01-01 and 2100-12-31.
"""

# Error responses every operation of a kind can give, added unless the route documents its own.
_UNAUTHORIZED = "Missing, malformed, expired or revoked access token."
_FORBIDDEN = "Your role may not use this endpoint."
_NOT_FOUND = "No such resource in your clinic (or it is not yours to see)."
_MALFORMED = "The body is not valid JSON."
_TOO_LARGE = "The body is larger than 1 MiB."
_UNSUPPORTED = "The body is not sent as `application/json`."
_INVALID = "A field is missing or invalid; `errors` names each field."
_UNAVAILABLE = "The database is unavailable; nothing was stored. Retry after `Retry-After`."
_ALL_ROLES = {"patient", "therapist", "clinic_admin"}
_RETRY_AFTER = {
    "description": "Seconds to wait before trying again.",
    "schema": {"type": "integer", "minimum": 0},
}


def _problem(description: str, *, retry: bool = False) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {PROBLEM_MIME: {"schema": "Problem"}},
    }
    if retry:
        response["headers"] = {"Retry-After": _RETRY_AFTER}
    return response


def _implied_errors(path: str, operation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The errors an operation can give because of who may call it, its path and its input."""
    roles = set(operation.get("x-roles", []))
    implied: dict[str, dict[str, Any]] = {}
    if not roles & {"public", "token_in_path"}:
        implied["401"] = _problem(_UNAUTHORIZED)
        if not roles >= _ALL_ROLES:
            implied["403"] = _problem(_FORBIDDEN)
    if "{" in path:
        implied["404"] = _problem(_NOT_FOUND)
    if "requestBody" in operation:
        implied["400"] = _problem(_MALFORMED)
        implied["413"] = _problem(_TOO_LARGE)
        implied["415"] = _problem(_UNSUPPORTED)
    if "requestBody" in operation or any(p.get("in") == "query" for p in _parameters(operation)):
        implied["422"] = _problem(_INVALID)
    implied["503"] = _problem(_UNAVAILABLE, retry=True)
    return implied


def _parameters(operation: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in operation.get("parameters", []) if isinstance(p, dict)]


class ContractPlugin(BasePlugin):
    """Document every operation's errors as problem+json and every output field as present."""

    def operation_helper(self, path: Any = None, operations: Any = None, **kwargs: Any) -> None:
        for operation in (operations or {}).values():
            responses = operation.setdefault("responses", {})
            for status, response in _implied_errors(path or "", operation).items():
                responses.setdefault(status, response)
            for status, response in responses.items():
                if not isinstance(response, dict) or str(status) == "default" or int(status) < 400:
                    continue
                response.setdefault("content", {PROBLEM_MIME: {"schema": "Problem"}})
                if str(status) in ("429", "503"):
                    response.setdefault("headers", {"Retry-After": _RETRY_AFTER})

    def schema_helper(self, name: str, definition: Any, **kwargs: Any) -> dict[str, Any] | None:
        """An output schema (``…Out``) dumps every field it declares: list them as required,
        but for those marked ``metadata={"optional": True}``. A schema's ``EXAMPLE`` becomes its
        documented example, and its ``OPENAPI`` (what marshmallow cannot say, such as the extra
        members a ``Problem`` allows) joins its JSON Schema."""
        schema = kwargs.get("schema")
        if schema is None:
            return None
        instance = resolve_schema_instance(schema)
        documented = dict(getattr(instance, "OPENAPI", {}))
        if example := getattr(instance, "EXAMPLE", None):
            documented["examples"] = [example]
        if not name.endswith("Out"):
            return documented or None
        fields = instance.dump_fields
        required = (f.data_key or k for k, f in fields.items() if not f.metadata.get("optional"))
        return {**documented, "required": sorted(required)}


def tagged_union2properties(converter: Any, field: Any, **kwargs: Any) -> dict[str, Any]:
    """Document a :class:`TaggedUnion` as ``oneOf`` one component per tag, with a discriminator."""
    if not isinstance(field, TaggedUnion):
        return {}
    mapping = {}
    for tag, schema in field.variants.items():
        name = "".join(part.title() for part in tag.split("_")) + "Item"
        if name not in converter.spec.components.schemas:
            body = converter.resolve_nested_schema(schema)
            converter.spec.components.schema(
                name,
                {
                    "type": "object",
                    "properties": {field.tag: {"type": "string", "enum": [tag]}, field.body: body},
                    "required": [field.tag, field.body],
                    "additionalProperties": False,
                },
            )
        mapping[tag] = f"#/components/schemas/{name}"
    return {
        "oneOf": [{"$ref": ref} for ref in mapping.values()],
        "discriminator": {"propertyName": field.tag, "mapping": mapping},
    }


def enum2properties(converter: Any, field: Any, ret: dict[str, Any], **kwargs: Any) -> dict:
    """An enum named by the field's ``enum_name`` becomes a component; a nullable enum becomes
    ``oneOf: [enum, null]``. Generators then make one clean, named type of each."""
    name, types = field.metadata.get("enum_name"), ret.get("type")
    nullable = isinstance(types, list) and "null" in types
    if "enum" not in ret or not (name or nullable):
        return {}
    kind = next(kind for kind in ([types] if isinstance(types, str) else types) if kind != "null")
    enum = {"type": kind, "enum": [value for value in ret.pop("enum") if value is not None]}
    if varnames := ret.pop("x-enum-varnames", None):
        enum["x-enum-varnames"] = varnames
    ret.pop("type")
    if name:
        if name not in converter.spec.components.schemas:
            converter.spec.components.schema(name, enum)
        enum = {"$ref": f"#/components/schemas/{name}"}
    return {"oneOf": [enum, {"type": "null"}]} if nullable else enum


def null_default2properties(converter: Any, field: Any, ret: dict[str, Any], **kwargs: Any) -> dict:
    """Leave out ``default: null``: it says only that the field is optional, and generators such
    as openapi-typescript would make a field with any default required in a request type."""
    if "default" in ret and ret["default"] is None:
        del ret["default"]
    return {}


# A JSON object typed all the way down (its arrays hold scalars or objects): for documents whose
# rows are read back as they were stored (the data export), so a generated client has no "any".
# An object, as the Python client generator follows a recursive reference only to a model.
_SCALARS: list[dict[str, Any]] = [{"type": t} for t in ("string", "number", "boolean", "null")]
_OBJECT = {"$ref": "#/components/schemas/JsonObject"}
JSON_OBJECT: dict[str, Any] = {
    "type": "object",
    "description": "A JSON object.",
    "additionalProperties": {
        "anyOf": [*_SCALARS, {"type": "array", "items": {"anyOf": [*_SCALARS, _OBJECT]}}, _OBJECT]
    },
}


class HepApi(Api):
    """smorest Api whose documented error shape is RFC 9457 ``application/problem+json``."""

    ERROR_SCHEMA = ProblemSchema

    def _init_spec(self, *args: Any, **kwargs: Any) -> None:
        super()._init_spec(*args, **kwargs)
        self.ma_plugin.converter.add_attribute_function(tagged_union2properties)
        self.ma_plugin.converter.add_attribute_function(enum2properties)
        self.ma_plugin.converter.add_attribute_function(null_default2properties)
        self.spec.components.schema("JsonObject", JSON_OBJECT)

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(
                response, self.spec, PROBLEM_MIME if status >= 400 else "application/json"
            )
            self.spec.components.response(status.name, response, lazy=True)
        default = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(default, self.spec, PROBLEM_MIME)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, default, lazy=True)
