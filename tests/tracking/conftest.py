"""Helpers for tracking tests: record bodies relative to a clock, and posting them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest


def iso(instant: datetime) -> str:
    return instant.isoformat()


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def pain_body(**fields: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "recorded_at": iso(now_utc() - timedelta(minutes=1)),
        "score": 4,
        "context": "now",
        **fields,
    }


def session_body(**fields: Any) -> dict[str, Any]:
    recorded = now_utc() - timedelta(minutes=1)
    return {
        "id": str(uuid.uuid4()),
        "recorded_at": iso(recorded),
        "date": recorded.astimezone(UTC).date().isoformat(),
        "slot": "morning",
        "status": "completed",
        "exertion": 4,
        "pain_during": 3,
        "pain_after": 2,
        **fields,
    }


def headache_body(**fields: Any) -> dict[str, Any]:
    recorded = now_utc() - timedelta(minutes=1)
    return {
        "id": str(uuid.uuid4()),
        "recorded_at": iso(recorded),
        "started_at": iso(recorded - timedelta(hours=2)),
        "duration_minutes": 90,
        "intensity": 5,
        "side": "left",
        "triggers": ["screen"],
        "medication_taken": False,
        **fields,
    }


def posture_body(**fields: Any) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "recorded_at": iso(now_utc() - timedelta(minutes=1)), **fields}


def symptom_body(**answers: bool) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "recorded_at": iso(now_utc() - timedelta(minutes=1)),
        "answers": answers,
    }


BODIES = {
    "session_log": session_body,
    "pain_rating": pain_body,
    "headache_entry": headache_body,
    "posture_break": posture_body,
    "symptom_check": symptom_body,
}
PATHS = {
    "session_log": "/api/v1/me/session-logs",
    "pain_rating": "/api/v1/me/pain-ratings",
    "headache_entry": "/api/v1/me/headache-entries",
    "posture_break": "/api/v1/me/posture-breaks",
    "symptom_check": "/api/v1/me/symptom-checks",
}


@pytest.fixture
def patient(make_patient):
    """A patient in UTC, so local dates equal UTC dates in these tests."""
    return make_patient(timezone="UTC")
