"""Hostile input gets a 4xx problem+json naming the field, never a 500 (PRODUCT.md §2).

Text no database can store (NUL, lone surrogates), dates local-time arithmetic cannot reach,
and forged pagination cursors, on every kind of endpoint that takes them.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from server.extensions import db
from server.flags.models import Flag
from server.pagination import seal_cursor
from server.tracking.models import PainRating, PostureBreak
from tests.conftest import count
from tests.factories import DEFAULT_SCHEDULE, UserHandle
from tests.tracking.conftest import (
    headache_body,
    pain_body,
    posture_body,
    session_body,
    symptom_body,
)

PROBLEM = "application/problem+json"
NUL = "a\x00b"
SURROGATE = "a\ud800b"  # sent as the JSON escape "\ud800", as any JSON library would
HOSTILE_TEXT = pytest.mark.parametrize("bad", [NUL, SURROGATE], ids=["nul", "surrogate"])
GOOD_PASSWORD = "a-long-enough-passphrase"


@dataclass(frozen=True)
class World:
    therapist: UserHandle
    admin: UserHandle
    patient: UserHandle
    programme_id: uuid.UUID

    def headers(self, who: str) -> dict[str, str]:
        return {} if who == "public" else getattr(self, who).headers


@pytest.fixture
def world(
    make_clinic: Callable[..., Any],
    make_staff: Callable[..., UserHandle],
    make_patient: Callable[..., UserHandle],
    make_programme: Callable[..., Any],
) -> World:
    """A therapist, a clinic admin, and a patient of the therapist with a running programme."""
    clinic = make_clinic()
    therapist = make_staff(clinic)
    patient = make_patient(therapist, timezone="UTC")
    programme = make_programme(patient, start_date=date.today() - timedelta(days=3))
    return World(therapist, make_staff(clinic, role="clinic_admin"), patient, programme.id)


def assert_field_error(response: Any, field: str) -> None:
    """A 4xx problem+json whose ``errors`` name ``field``."""
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)
    assert response.content_type == PROBLEM
    assert field in response.json["errors"], response.json


def _programme_body(**fields: Any) -> dict[str, Any]:
    body = {"items": [{"exercise": "chin-tucks"}], "schedule": DEFAULT_SCHEDULE}
    return {**body, "start_date": date.today().isoformat(), **fields}


PATIENT = {"name": "P", "email": "p@mail.example", "timezone": "UTC", "language": "en"}
THERAPIST = {"name": "T", "email": "t@mail.example", "password": GOOD_PASSWORD}
EXERCISE = {
    "slug": "own-exercise",
    "category": "neck",
    "name": {"en": "{bad}", "tr": "Egzersiz"},
    "instructions": {"en": "Slowly.", "tr": "Yavaşça."},
    "ladder": [{"level": 1, "sets": 1, "reps": 10}],
}
# (route, who, body): "{bad}" marks where the hostile text goes; the error must name that field.
# Record bodies are built when the test runs, so their instants are fresh.
TEXT_CASES: list[tuple[str, str, Any]] = [
    ("POST /auth/login", "public", {"email": "{bad}", "password": "x"}),
    ("POST /auth/login", "public", {"email": "a@b.example", "password": "{bad}"}),
    ("POST /auth/activate", "public", {"invite_code": "{bad}", "password": GOOD_PASSWORD}),
    ("POST /me/password", "patient", {"current_password": "{bad}", "new_password": "x"}),
    ("POST /patients", "therapist", {**PATIENT, "name": "{bad}"}),
    ("POST /patients", "therapist", {**PATIENT, "email": "p{bad}@mail.example"}),
    ("PATCH /patients/{patient}", "therapist", {"timezone": "{bad}"}),
    ("POST /therapists", "admin", {**THERAPIST, "name": "{bad}"}),
    ("PATCH /me/preferences", "patient", {"language": "{bad}"}),
    ("POST /me/devices", "patient", {"platform": "android", "token": "t{bad}"}),
    ("POST /exercises", "therapist", EXERCISE),
    ("POST /patients/{patient}/programmes", "therapist", _programme_body(reason="{bad}")),
    (
        "POST /programmes/{programme}/revisions",
        "therapist",
        {"base_revision": 1, "reason": "{bad}"},
    ),
    ("POST /me/session-logs", "patient", lambda: session_body(notes="{bad}")),
    ("POST /me/session-logs", "patient", lambda: session_body(slot="{bad}")),
    ("POST /me/headache-entries", "patient", lambda: headache_body(triggers=["{bad}"])),
]


def _with_bad(value: Any, bad: str) -> Any:
    """``value`` with ``{bad}`` in every string replaced by the hostile text."""
    if isinstance(value, str):
        return value.replace("{bad}", bad)
    if isinstance(value, dict):
        return {key: _with_bad(item, bad) for key, item in value.items()}
    if isinstance(value, list):
        return [_with_bad(item, bad) for item in value]
    return value


def _template(body: Any) -> dict[str, Any]:
    return body() if callable(body) else body


def _marked_field(body: dict[str, Any]) -> str:
    """The top-level field that holds the ``{bad}`` mark."""
    return next(key for key, value in body.items() if "{bad}" in json.dumps(value))


@HOSTILE_TEXT
@pytest.mark.parametrize(
    ("route", "who", "body"),
    TEXT_CASES,
    ids=[f"{route} {_marked_field(_template(body))}" for route, _, body in TEXT_CASES],
)
def test_text_no_database_can_store_is_a_field_error(
    client: FlaskClient, world: World, bad: str, route: str, who: str, body: Any
) -> None:
    method, path = route.split(" ")
    url = "/api/v1" + path.format(patient=world.patient.id, programme=world.programme_id)
    template = _template(body)
    hostile = _with_bad(template, bad)
    response = client.open(url, method=method, json=hostile, headers=world.headers(who))
    assert_field_error(response, _marked_field(template))


@HOSTILE_TEXT
def test_a_resolution_note_no_database_can_store_is_a_field_error(
    app: Flask, client: FlaskClient, world: World, bad: str
) -> None:
    urgent = symptom_body(thunderclap=True)
    posted = client.post("/api/v1/me/symptom-checks", json=urgent, headers=world.patient.headers)
    assert posted.status_code == 201, posted.json
    with app.app_context():
        flag_id = db.session.scalar(sa.select(Flag.id))
    response = client.post(
        f"/api/v1/flags/{flag_id}/resolve",
        json={"note": bad, "action": "referred"},
        headers=world.therapist.headers,
    )
    assert_field_error(response, "note")


@pytest.mark.parametrize(
    ("path", "who", "query", "field"),
    [
        ("/flags", "therapist", {"status": "open\x00"}, "status"),
        ("/flags", "therapist", {"severity": "urgent,\x00"}, "severity"),
        ("/patients", "therapist", {"cursor": "\x00"}, "cursor"),
    ],
)
def test_nul_in_a_query_string_is_a_field_error(
    client: FlaskClient, world: World, path: str, who: str, query: dict[str, str], field: str
) -> None:
    response = client.get(f"/api/v1{path}", query_string=query, headers=world.headers(who))
    assert_field_error(response, field)


# Python's JSON parser recurses once per level until its recursion limit: on 3.11 and 3.12 a
# few thousand levels exhaust it, on 3.13 (a higher limit for C code) they parse; 100,000 levels
# (200-600 KB, under the 1 MiB body limit) exhaust it on every version.
DEPTH = 100_000
TOO_DEEP = {
    "arrays": "[" * DEPTH + "]" * DEPTH,
    "objects": '{"a":' * DEPTH + "1" + "}" * DEPTH,
}


@pytest.mark.parametrize("body", TOO_DEEP.values(), ids=TOO_DEEP.keys())
@pytest.mark.parametrize(
    ("route", "who"),
    [
        ("POST /auth/login", "public"),  # its rate limit reads the body before the view does
        ("POST /auth/activate", "public"),
        ("POST /me/pain-ratings", "patient"),
        ("POST /me/sync", "patient"),
        ("PATCH /me/preferences", "patient"),
        ("POST /patients", "therapist"),
    ],
)
def test_json_nested_too_deeply_is_a_bad_request(
    client: FlaskClient, world: World, route: str, who: str, body: str
) -> None:
    method, path = route.split(" ")
    response = client.open(
        f"/api/v1{path}",
        method=method,
        data=body,
        content_type="application/json",
        headers=world.headers(who),
    )
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.content_type == PROBLEM


EDGES_OF_THE_CALENDAR = ["9999-12-31", "0001-01-01", "1899-12-31", "2200-01-01"]
FAR_INSTANTS = ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "1970-01-01T00:00:00Z"]


@pytest.mark.parametrize("day", EDGES_OF_THE_CALENDAR)
def test_dates_out_of_range_are_field_errors(client: FlaskClient, world: World, day: str) -> None:
    patient, therapist = world.patient.headers, world.therapist.headers
    checks = [
        (client.get("/api/v1/me/plan", query_string={"date": day}, headers=patient), "date"),
        (
            client.get(
                f"/api/v1/patients/{world.patient.id}/plan",
                query_string={"date": day},
                headers=therapist,
            ),
            "date",
        ),
        (client.get("/api/v1/me/adherence", query_string={"from": day}, headers=patient), "from"),
        (
            client.post(
                f"/api/v1/patients/{world.patient.id}/programmes",
                json=_programme_body(start_date=day),
                headers=therapist,
            ),
            "start_date",
        ),
        (
            client.post("/api/v1/me/session-logs", json=session_body(date=day), headers=patient),
            "date",
        ),
    ]
    for response, field in checks:
        assert_field_error(response, field)


@pytest.mark.parametrize("instant", FAR_INSTANTS)
def test_instants_out_of_range_are_field_errors(
    client: FlaskClient, world: World, instant: str
) -> None:
    patient = world.patient.headers
    inbox = client.get("/api/v1/me/notifications", query_string={"since": instant}, headers=patient)
    assert_field_error(inbox, "since")
    pain = client.post(
        "/api/v1/me/pain-ratings", json=pain_body(recorded_at=instant), headers=patient
    )
    assert_field_error(pain, "recorded_at")
    headache = client.post(
        "/api/v1/me/headache-entries", json=headache_body(started_at=instant), headers=patient
    )
    assert_field_error(headache, "started_at")


def test_one_hostile_item_in_a_sync_batch_spoils_only_itself(
    app: Flask, client: FlaskClient, world: World
) -> None:
    items = [
        {"kind": "pain_rating", "data": pain_body()},
        {"kind": "headache_entry", "data": headache_body(triggers=[NUL])},
        {"kind": "session_log", "data": session_body(notes=SURROGATE)},
        {"kind": "pain_rating", "data": pain_body(recorded_at="0001-01-01T00:00:00+05:00")},
        {"kind": NUL, "data": pain_body()},
        None,
        {"kind": "posture_break", "data": posture_body()},
    ]
    response = client.post("/api/v1/me/sync", json={"items": items}, headers=world.patient.headers)
    assert response.status_code == 200, response.json
    results = response.json["results"]
    assert [r["status"] for r in results] == [
        "created",
        "invalid",
        "invalid",
        "invalid",
        "invalid",
        "invalid",
        "created",
    ]
    assert [sorted(r.get("errors", {})) for r in results] == [
        [],
        ["triggers"],
        ["notes"],
        ["recorded_at"],
        ["kind"],
        ["_schema"],
        [],
    ]
    assert results[1]["errors"]["triggers"] == ["0: Must not contain NUL characters."]
    with app.app_context():
        assert (count(PainRating), count(PostureBreak)) == (1, 1)


def cursor_of(values: Any) -> Callable[[], str]:
    """A cursor as the server seals one (a forgery by someone holding the key), made when
    called inside the app."""
    return lambda: seal_cursor(json.dumps(values).encode())


# A valid cursor value for a key column of each type, and wrong ones (each alone in a cursor).
VALID = {
    "instant": {"dt": "2026-01-01T00:00:00+00:00"},
    "uuid": {"u": "6346e784-2944-4b86-949b-db0676d29b31"},
    "int": 1,
    "text": "m",
}
WRONG = {
    "instant": [
        {"dt": "2026-01-01T00:00:00"},  # naive
        {"dt": "0001-01-01T00:00:00+05:00"},  # overflows in UTC
        {"dt": "x"},
        {"dt": 1},
        {"d": "2026-01-01"},
        "2026-01-01T00:00:00+00:00",
        1,
        None,
    ],
    "uuid": [{"u": "x"}, {"u": 1}, {"u": "a", "dt": "b"}, VALID["uuid"]["u"], 2, None],
    "int": ["1", 1.5, True, 10**30, -(10**30), VALID["uuid"], None],
    "text": ["a\x00b", 1, VALID["uuid"], None, ["m"]],
}
MALFORMED = [
    lambda: "!!!",
    lambda: "\x00",
    lambda: base64.urlsafe_b64encode(b"[1]").decode(),  # well formed but not sealed by us
    lambda: seal_cursor(b"not json"),
    lambda: seal_cursor(b"[" * 5000 + b"]" * 5000),
    cursor_of({}),
    cursor_of("x"),
    cursor_of(["x", "y"]),
    cursor_of([1, 2]),
]
# Every paginated list: (path, who, the types of its key columns).
LISTS = [
    ("/me/notifications", "patient", ["instant", "uuid"]),
    ("/audit", "admin", ["instant", "uuid"]),
    ("/flags", "therapist", ["int", "instant", "uuid"]),
    ("/patients/{patient}/flags", "therapist", ["instant", "uuid"]),
    ("/patients/{patient}/programmes", "therapist", ["instant", "uuid"]),
    ("/programmes/{programme}/revisions", "therapist", ["int"]),
    ("/exercises", "therapist", ["text", "uuid"]),
    ("/programme-templates", "therapist", ["text", "uuid"]),
    ("/therapists", "therapist", ["text", "uuid"]),
    ("/patients", "therapist", ["text", "uuid"]),
]


def _forged(types: list[str]) -> list[list[Any]]:
    """A valid cursor's values one short, one too many, and with each value in turn wrong."""
    valid = [VALID[kind] for kind in types]
    forged = [valid[:-1], [*valid, valid[-1]]]
    for position, kind in enumerate(types):
        for wrong in WRONG[kind]:
            forged.append([*valid[:position], wrong, *valid[position + 1 :]])
    return forged


@pytest.mark.parametrize(("path", "who", "types"), LISTS, ids=[path for path, *_ in LISTS])
def test_a_forged_cursor_is_a_field_error_on_every_list(
    app: Flask, client: FlaskClient, world: World, path: str, who: str, types: list[str]
) -> None:
    url = "/api/v1" + path.format(patient=world.patient.id, programme=world.programme_id)
    headers = world.headers(who)
    with app.app_context():
        valid = cursor_of([VALID[kind] for kind in types])()
        cursors = [make() for make in [*MALFORMED, *map(cursor_of, _forged(types))]]
    accepted = client.get(url, query_string={"cursor": valid}, headers=headers)
    assert accepted.status_code == 200, accepted.json  # each forgery differs from it in one value
    for cursor in cursors:
        response = client.get(url, query_string={"cursor": cursor}, headers=headers)
        assert response.status_code == 422, (cursor, response.get_data(as_text=True))
        assert response.content_type == PROBLEM
        assert list(response.json["errors"]) == ["cursor"], response.json


def test_a_cursor_shows_no_name_and_still_pages(
    client: FlaskClient, world: World, make_patient: Callable[..., UserHandle]
) -> None:
    make_patient(world.therapist)
    headers = world.headers("therapist")
    first = client.get("/api/v1/patients", query_string={"limit": 1}, headers=headers).json
    cursor = first["next_cursor"]
    name = first["items"][0]["name"]
    shown = base64.urlsafe_b64encode(name.encode()).decode().rstrip("=")
    assert name not in cursor
    assert shown[:8] not in cursor
    second = client.get(
        "/api/v1/patients", query_string={"limit": 1, "cursor": cursor}, headers=headers
    ).json
    assert second["items"]
    assert second["items"][0]["id"] != first["items"][0]["id"]


def test_a_nul_after_an_instant_or_a_date_is_refused_not_cut_off(
    client: FlaskClient, world: World
) -> None:
    # Python's fromisoformat reads "…+03:00\x00" as a valid instant: the field must not.
    body = pain_body()
    body["recorded_at"] += "\x00"
    answer = client.post("/api/v1/me/pain-ratings", json=body, headers=world.headers("patient"))
    assert answer.status_code == 422
    assert answer.json["errors"]["recorded_at"] == ["Must not contain NUL characters."]
    day = client.get(
        f"/api/v1/patients/{world.patient.id}/plan",
        query_string={"date": "2026-12-06\x00"},
        headers=world.headers("therapist"),
    )
    assert day.status_code == 422
