"""Schemathesis against the app's own OpenAPI spec, in-process over WSGI, as each kind of user.

Every documented operation gets generated valid and invalid requests (bounded and derandomized),
authenticated as a therapist or as a patient, plus valid requests with a NUL character (which
PostgreSQL cannot store) in one of their strings. No answer may be a 5xx, and every answer must
match the spec: a documented status code and content type, and a body matching the documented
schema.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    missing_required_header,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from server.accounts.models import User
from server.accounts.sessions import start_session
from server.extensions import db

# `make test` runs a bounded, repeatable sample; `make fuzz` a larger, random one (FUZZ_EXAMPLES
# per mode, FUZZ_RANDOM=1: a new sample on every run, so repeated runs search further).
EXAMPLES_PER_MODE = int(os.environ.get("FUZZ_EXAMPLES", "8"))
# Valid cases with a NUL in one string: generated strings hardly ever hold one. (Schemathesis
# cannot send lone surrogates; tests/robustness/test_hostile_input.py covers those.)
NUL_EXAMPLES = max(4, EXAMPLES_PER_MODE // 2)
DERANDOMIZE = os.environ.get("FUZZ_RANDOM") != "1"
# Rules the spec states in words that JSON Schema cannot express: they depend on the clock, on
# other stored data, or on a value only the server mints. A request valid by the schema may be
# refused with a 422 for these, and only these: each message must start with (match) one listed
# for a pattern its field matches, or the case fails as "valid data should have been accepted".
_WINDOW = ("Must not be more than 60 days in the past.", "Must not be in the future.")
UNEXPRESSIBLE_RULES: dict[str, tuple[str, ...]] = {
    r"cursor": ("Invalid cursor.",),  # only a next_cursor the server minted is a cursor
    r"therapist_id": ("No active therapist with this id",),  # stored data
    r"current_password": ("The current password is wrong.",),  # stored data
    r"items\.\d+\.exercise(_id)?": ("Unknown exercise.",),  # stored data
    r"ladder": ("Levels must be numbered 1, 2, 3",),  # an order across items
    r"template": ("Unknown template.",),  # stored data
    r"slot": ("No schedule in force by",),  # stored data: the slots the programme schedules
    r"working_hours": ("end: The start must be before the end.",),  # an order across fields
    # Rules across fields: JSON Schema can say them (anyOf/oneOf beside properties), but client
    # generators (openapi-python-client) cannot read such a schema, so the descriptions do.
    r"template|schedule": ("Give a template or items.", "Required when no template is given."),
    r"items": (r"\d+\.exercise: Give exactly one of exercise \(slug\) or exercise_id\.",),
    r"slots": ("Values must be unique.",),  # slot names and times unique across items
    r"recorded_at|started_at|date": _WINDOW,  # the clock
    r"from": ("Must be ≤ to.",),  # an order across fields
    r"to": ("The range may span at most 366 days.",),  # a distance across fields
    # Outcome measures: the library is stored data, so a measure code, its items and their
    # answers, a baseline's activities and a schedule's administrations are checked against it.
    r"measure": ("Unknown measure.",),
    r"answers": (
        r"\d+\.(item|value|activity): ",
        "Unanswered items: ",
        "Name and rate at least ",
        "Rate the same activities as at baseline: ",
    ),
    r"administration_id": ("No administration of ", "Answerable from "),
    r"at_start": (
        "Give at least one of at_start, every_weeks or at_end.",  # a rule across fields
        "A change score is asked once treatment is under way",  # stored data: the measure
    ),
    # An instant's bounds hold in UTC, whatever its offset (a date's are its pattern).
    r"recorded_at|started_at|since": ("Must be between 2000-01-01 and 2100-12-31 \\(UTC\\)\\.",),
}
# A sync batch refuses bad items one by one (200, each with status "invalid"), by design: an
# item the schema calls invalid does not make the request fail.
PER_ITEM_VALIDATION = {"POST /api/v1/me/sync"}


def _explained(errors: dict[str, list[str]]) -> bool:
    def listed(field: str, message: str) -> bool:
        return any(
            re.fullmatch(pattern, field) and any(re.match(prefix, message) for prefix in prefixes)
            for pattern, prefixes in UNEXPRESSIBLE_RULES.items()
        )

    return bool(errors) and all(listed(f, m) for f, messages in errors.items() for m in messages)


@schemathesis.check
def valid_data_is_accepted(ctx: Any, response: Any, case: Any) -> bool | None:
    """positive_data_acceptance, but for a 422 that only names rules listed above."""
    if response.status_code == 422 and _explained(response.json().get("errors", {})):
        return None
    return positive_data_acceptance(ctx, response, case)


@schemathesis.check
def invalid_data_is_refused(ctx: Any, response: Any, case: Any) -> bool | None:
    """negative_data_rejection, but for the operations that validate item by item."""
    if case.operation.label in PER_ITEM_VALIDATION:
        return None
    return negative_data_rejection(ctx, response, case)


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    invalid_data_is_refused,
    valid_data_is_accepted,
    missing_required_header,
    unsupported_method,
]
MODES = [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]
# Known bugs in other domains, reported to the lead: {"METHOD /path": "reason"}.
KNOWN_FAILURES: dict[str, str] = {}


def _fresh_token(app: Flask, user_id: uuid.UUID) -> str:
    """A new session per operation, so a generated logout never spoils the next operation."""
    with app.app_context():
        token = start_session(db.session.get(User, user_id)).access_token
        db.session.commit()
        db.session.remove()
    return token


def _copied(value: Any) -> Any:
    """A copy of a JSON value's dicts and lists (the strings stay shared: they are immutable)."""
    if isinstance(value, dict):
        return {key: _copied(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copied(item) for item in value]
    return value


def _text_slots(value: Any) -> list[tuple[Any, Any]]:
    """Every ``(container, key)`` of a JSON value whose item is a string."""
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    else:
        return []
    slots: list[tuple[Any, Any]] = []
    for key, item in items:
        slots.extend([(value, key)] if isinstance(item, str) else _text_slots(item))
    return slots


@st.composite
def _with_a_nul(draw: st.DrawFn, cases: st.SearchStrategy[Any]) -> Any:
    """A valid case with a NUL appended to one of its body or query strings (if it has any).

    One string only: NULs everywhere would be refused by the first validated field and hide a
    field that lets them through to the database.
    """
    case = draw(cases)
    case.body, case.query = _copied(case.body), _copied(case.query)
    slots = _text_slots(case.body) + _text_slots(case.query)
    if slots:
        container, key = draw(st.sampled_from(slots))
        container[key] += "\x00"
    return case


def _exercise_operation(
    operation: Any, headers: dict[str, str], path_parameters: dict[str, str]
) -> None:
    names = set(re.findall(r"{(\w+)}", operation.path))
    fixed = {k: v for k, v in path_parameters.items() if k in names} or None
    positive, negative = (
        operation.as_strategy(generation_mode=mode, path_parameters=fixed) for mode in MODES
    )
    # A NUL makes a valid case invalid (no database stores it): it must be refused, not accepted.
    refused_checks = [check for check in CHECKS if check is not valid_data_is_accepted]
    runs = [
        (positive, EXAMPLES_PER_MODE, CHECKS),
        (negative, EXAMPLES_PER_MODE, CHECKS),
        (_with_a_nul(positive), NUL_EXAMPLES, refused_checks),
    ]
    for strategy, examples, checks in runs:

        @settings(
            max_examples=examples,
            deadline=None,
            derandomize=DERANDOMIZE,
            database=None,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.generate],  # no shrinking: bounded runtime
        )
        @given(case=strategy)
        def exercise(case: Any) -> None:
            response = case.call(headers=headers)
            # Run at once, inside this iteration: the loop variable is the one meant.
            case.validate_response(response, checks=checks, headers=headers)  # noqa: B023

        try:
            exercise()
        except Unsatisfiable:
            if strategy is not negative:
                raise
            # Nothing to get wrong (no parameters and no body): no invalid request exists.


@pytest.fixture
def seeded_world(
    app: Flask,
    make_staff: Callable[..., Any],
    make_patient: Callable[..., Any],
    make_programme: Callable[..., Any],
    measure_library: dict[str, int],
) -> dict[str, Any]:
    """A therapist, their patient with a running programme (and a measure scheduled on it), and
    the ids path parameters need."""
    therapist = make_staff()
    patient = make_patient(therapist)
    programme = make_programme(patient, start_date=date.today() - timedelta(days=10))
    schedule = _schedule_measure(app, programme.id, therapist.id)
    return {
        "users": {"therapist": therapist.id, "patient": patient.id},
        "path_parameters": {
            "patient_id": str(patient.id),
            "programme_id": str(programme.id),
            "therapist_id": str(therapist.id),
            "measure_schedule_id": str(schedule),
        },
    }


def _schedule_measure(app: Flask, programme_id: uuid.UUID, therapist_id: uuid.UUID) -> uuid.UUID:
    from server.measures.models import MeasureSchedule
    from server.programmes.models import Programme

    with app.app_context():
        programme = db.session.get_one(Programme, programme_id)
        schedule = MeasureSchedule(
            clinic_id=programme.clinic_id,
            patient_id=programme.patient_id,
            programme_id=programme.id,
            measure_code="HIT-6",
            at_start=True,
            every_weeks=1,
            at_end=True,
            created_by=therapist_id,
        )
        db.session.add(schedule)
        db.session.commit()
        return schedule.id


@pytest.mark.parametrize("role", ["therapist", "patient"])
def test_every_operation_conforms_to_the_spec_and_never_fails_with_5xx(
    app: Flask, seeded_world: dict[str, Any], role: str
) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        # English problems, whatever language a generated PATCH gave the user: the rules above
        # are matched by their English messages.
        token = _fresh_token(app, seeded_world["users"][role])
        headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}
        try:
            _exercise_operation(operation, headers, seeded_world["path_parameters"])
        except (Exception, BaseExceptionGroup) as error:  # collect every failing operation
            if operation.label not in KNOWN_FAILURES:
                failures.append(f"### {operation.label} as {role}\n{str(error)[:3000]}")
    assert operations > 0
    assert not failures, f"{len(failures)} operation(s) failed:\n\n" + "\n\n".join(failures)
