"""Ingest services called directly: a fixed number of statements whatever the batch size, and
the time window judged against the ``now`` the caller passes (late sync, demo history).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from server.accounts.models import Patient
from server.errors import Conflict, Unprocessable
from server.extensions import db
from server.tracking import services
from server.tracking.models import PainRating
from tests.adherence.conftest import statements
from tests.conftest import count
from tests.tracking.conftest import BODIES

NOW = datetime(2026, 4, 10, 12, 0, tzinfo=UTC)


def _items(n: int) -> list[dict]:
    kinds = list(BODIES)
    return [{"kind": kinds[i % 4], "data": BODIES[kinds[i % 4]]()} for i in range(n)]


def test_sync_runs_the_same_statements_for_10_or_300_items(app_ctx, patient) -> None:
    row = db.session.get(Patient, patient.id)
    services.sync(patient=row, items=_items(4), actor=None)  # warm up (last activity, state)
    counts = []
    for size in (10, 300):
        with statements() as seen:
            results = services.sync(patient=row, items=_items(size), actor=None)
        assert {r["status"] for r in results} == {"created"}
        counts.append(len(seen))
    assert counts[0] == counts[1]


def _pain(recorded_at: datetime, **fields) -> dict:
    return {
        "id": uuid.uuid4(),
        "recorded_at": recorded_at,
        "score": 3,
        "context": "now",
        **fields,
    }


def test_the_time_window_is_relative_to_the_given_now(app_ctx, patient) -> None:
    row = db.session.get(Patient, patient.id)
    body = _pain(NOW - timedelta(days=59))
    stored, created = services.record_one(
        patient=row, kind="pain_rating", body=body, actor=None, now=NOW
    )
    assert created
    assert stored["received_at"] == NOW
    with pytest.raises(Unprocessable) as error:
        services.record_one(
            patient=row,
            kind="pain_rating",
            body=_pain(NOW - timedelta(days=61)),
            actor=None,
            now=NOW,
        )
    assert "recorded_at" in error.value.errors
    with pytest.raises(Unprocessable):
        services.record_one(
            patient=row,
            kind="pain_rating",
            body=_pain(NOW + timedelta(minutes=6)),
            actor=None,
            now=NOW,
        )


def test_replay_returns_the_stored_row_and_conflict_raises(app_ctx, patient) -> None:
    row = db.session.get(Patient, patient.id)
    body = _pain(NOW - timedelta(hours=1))
    first, _ = services.record_one(patient=row, kind="pain_rating", body=body, actor=None, now=NOW)
    later = NOW + timedelta(hours=1)
    again, created = services.record_one(
        patient=row, kind="pain_rating", body=body, actor=None, now=later
    )
    assert not created
    assert again == first
    with pytest.raises(Conflict):
        services.record_one(
            patient=row, kind="pain_rating", body={**body, "score": 4}, actor=None, now=later
        )
    assert count(PainRating) == 1


def test_a_single_record_costs_one_insert_and_one_audit_row(app_ctx, patient, monkeypatch) -> None:
    monkeypatch.setattr(services.store, "evaluate_on_ingest", lambda *args: None)
    row = db.session.get(Patient, patient.id)
    services.record_one(
        patient=row, kind="pain_rating", body=_pain(NOW - timedelta(hours=2)), actor=None, now=NOW
    )
    db.session.flush()  # the first record refreshed last_activity_at; the next one does not
    with statements() as seen:
        services.record_one(patient=row, kind="pain_rating", body=_pain(NOW), actor=None, now=NOW)
    assert [s.split()[0:3] for s in seen] == [
        ["INSERT", "INTO", "pain_ratings"],
        ["INSERT", "INTO", "audit_events"],
    ]
