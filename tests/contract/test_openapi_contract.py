"""The served OpenAPI document is a contract app teams generate clients from: it validates, and
every operation, schema and property is named, described and typed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from openapi_spec_validator import validate

from tests.conftest import make_test_app

OPERATION_ID = re.compile(r"^[a-z]+[A-Za-z]*$")
METHODS = {"get", "post", "put", "patch", "delete"}
# Keywords that give a JSON Schema a type (a $ref, a union, or an explicit type or enum).
TYPED_BY = {"type", "$ref", "oneOf", "anyOf", "allOf", "enum", "const"}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    app = make_test_app("sqlite://")
    return app.test_client().get("/api/v1/openapi.json").get_json()


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", operation


def properties(schema: dict[str, Any], where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every property schema inside ``schema``, recursively, with a readable location."""
    for name, prop in schema.get("properties", {}).items():
        yield f"{where}.{name}", prop
        yield from properties(prop, f"{where}.{name}")
        if isinstance(prop.get("items"), dict):
            yield f"{where}.{name}[]", prop["items"]
            yield from properties(prop["items"], f"{where}.{name}[]")
        extra = prop.get("additionalProperties")
        if isinstance(extra, dict):
            yield f"{where}.{name}{{}}", extra


def test_the_spec_validates(spec: dict[str, Any]) -> None:
    validate(spec)  # raises on any unresolvable $ref or schema error
    assert spec["openapi"].startswith("3.1")


def test_every_operation_has_an_action_name_a_summary_and_a_description(
    spec: dict[str, Any],
) -> None:
    problems, seen = [], set()
    for label, operation in operations(spec):
        operation_id = operation.get("operationId", "")
        if not OPERATION_ID.match(operation_id):
            problems.append(f"{label}: operationId {operation_id!r} is not lowerCamelCase")
        if operation_id in seen:
            problems.append(f"{label}: operationId {operation_id!r} is used twice")
        seen.add(operation_id)
        for key in ("summary", "description"):
            if not operation.get(key, "").strip():
                problems.append(f"{label}: no {key}")
    assert not problems, "\n".join(problems)


def test_every_tag_and_the_api_itself_are_described(spec: dict[str, Any]) -> None:
    assert len(spec["info"]["description"]) > 200
    for word in ("Auth", "Errors", "Lists", "Idempotency", "Time"):
        assert f"**{word}.**" in spec["info"]["description"]
    assert all(tag.get("description") for tag in spec["tags"]), spec["tags"]


def test_every_output_field_is_required_or_says_when_it_is_present(spec: dict[str, Any]) -> None:
    lacking = [
        f"{name}.{key}"
        for name, schema in spec["components"]["schemas"].items()
        if name.endswith(("Out", "Page"))
        for key, prop in schema.get("properties", {}).items()
        if key not in schema.get("required", []) and "only" not in prop.get("description", "")
    ]
    assert not lacking, f"optional output fields that do not say when they are present: {lacking}"


def test_nothing_is_untyped(spec: dict[str, Any]) -> None:
    untyped = [
        where
        for name, schema in spec["components"]["schemas"].items()
        for where, prop in properties(schema, name)
        if not TYPED_BY & set(prop)
    ]
    assert not untyped, f"untyped properties: {untyped}"


def test_every_request_body_has_an_example(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    missing = []
    for label, operation in operations(spec):
        if "requestBody" not in operation:
            continue
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        component = schemas[body["$ref"].rsplit("/", 1)[1]] if "$ref" in body else body
        if not component.get("examples"):
            missing.append(label)
    assert not missing, f"request bodies without an example: {missing}"


def test_errors_are_problems_and_retry_after_is_documented(spec: dict[str, Any]) -> None:
    problems = []
    for label, operation in operations(spec):
        for status, response in operation["responses"].items():
            if status == "default" or int(status) < 400:
                continue
            schema = response.get("content", {}).get("application/problem+json", {}).get("schema")
            if schema != {"$ref": "#/components/schemas/Problem"}:
                problems.append(f"{label} {status}: not a problem")
            if status in ("429", "503") and "Retry-After" not in response.get("headers", {}):
                problems.append(f"{label} {status}: no Retry-After")
        if operation.get("security") and "401" not in operation["responses"]:
            problems.append(f"{label}: needs a token but documents no 401")
    assert not problems, "\n".join(problems)
    assert spec["components"]["schemas"]["Problem"]["additionalProperties"]  # extras allowed


def test_a_sync_item_is_a_union_discriminated_by_kind(spec: dict[str, Any]) -> None:
    items = spec["components"]["schemas"]["SyncIn"]["properties"]["items"]["items"]
    assert items["discriminator"]["propertyName"] == "kind"
    kinds = set(items["discriminator"]["mapping"])
    assert {"session_log", "pain_rating", "headache_entry", "posture_break"} <= kinds
    assert len(items["oneOf"]) == len(kinds)


def test_an_audit_events_role_includes_the_system_that_jobs_act_as(spec: dict[str, Any]) -> None:
    from server.audit.services import SYSTEM_ROLE

    roles = spec["components"]["schemas"]["AuditEventOut"]["properties"]["actor_role"]["enum"]
    assert set(roles) == {"patient", "therapist", "clinic_admin", SYSTEM_ROLE}
