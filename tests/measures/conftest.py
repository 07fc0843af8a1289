"""Fixtures of the outcome-measure tests: a therapist, their patient with a running programme
and the measure library, and helpers that post responses as the patient."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.factories import ProgrammeHandle, UserHandle

NDI_KEYS = [
    "pain_intensity",
    "personal_care",
    "lifting",
    "reading",
    "headaches",
    "concentration",
    "work",
    "driving",
    "sleeping",
    "recreation",
]
NDI_24 = (3, 3, 2, 2, 3, 2, 3, 2, 2, 2)  # the baseline: 24 points
NDI_14 = (2, 1, 1, 1, 2, 1, 2, 2, 1, 1)  # four weeks later: 14 points
HIT6_KEYS = ["severe_pain", "daily_activities", "lie_down", "too_tired", "fed_up", "concentration"]


def ndi_answers(values: tuple[int | None, ...]) -> list[dict[str, Any]]:
    """NDI answers in item order; None leaves the item out."""
    return [{"item": k, "value": v} for k, v in zip(NDI_KEYS, values, strict=True) if v is not None]


def hit6_answers(values: tuple[int, ...]) -> list[dict[str, Any]]:
    return [{"item": k, "value": v} for k, v in zip(HIT6_KEYS, values, strict=True)]


def response_body(measure: str, answers: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    """A measure response recorded a minute ago (or ``recorded_at``)."""
    recorded_at = fields.pop("recorded_at", datetime.now(UTC) - timedelta(minutes=1))
    return {
        "id": str(uuid.uuid4()),
        "recorded_at": recorded_at.isoformat(),
        "measure": measure,
        "answers": answers,
        **fields,
    }


@pytest.fixture
def therapist(make_staff: Callable[..., UserHandle]) -> UserHandle:
    return make_staff()


@pytest.fixture
def patient(make_patient: Callable[..., UserHandle], therapist: UserHandle) -> UserHandle:
    return make_patient(therapist)


@pytest.fixture
def programme(
    make_programme: Callable[..., ProgrammeHandle], patient: UserHandle, measure_library: Any
) -> ProgrammeHandle:
    """The patient's programme, started 30 days ago (in the patient's Istanbul calendar)."""
    return make_programme(patient, start_date=date.today() - timedelta(days=30))


@pytest.fixture
def respond(client: FlaskClient, patient: UserHandle, measure_library: Any) -> Callable[..., Any]:
    """POST a response as the patient: ``respond(body, **headers)``."""

    def post(body: dict[str, Any], who: UserHandle | None = None, **headers: str) -> TestResponse:
        who = who or patient
        return client.post(
            "/api/v1/me/measure-responses", json=body, headers={**who.headers, **headers}
        )

    return post
