"""A sync batch's marks for the scheduler (the flag engine's queue, the reminders' replan) are
those of the records it stored: on PostgreSQL made by the batch's own statement when every
record was stored, by the event's handlers when one was not; the same on either path."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from server.extensions import db
from server.flags.models import FlagEvaluationState
from server.reminders.models import ReplanMark
from tests.tracking.conftest import PATHS, iso, now_utc, pain_body, posture_body


def _sync(client, patient, items: list[dict[str, Any]]) -> list[str]:
    response = client.post("/api/v1/me/sync", json={"items": items}, headers=patient.headers)
    assert response.status_code == 200
    return [result["status"] for result in response.json["results"]]


def _marks(app, patient) -> tuple[date | None, bool]:
    """The day the flag engine is queued from, and whether the reminders are to be replanned."""
    with app.app_context():
        state = db.session.get(FlagEvaluationState, patient.id)
        replan = db.session.get(ReplanMark, patient.id)
        return (state.pending_from if state else None), replan is not None


def _days_ago(days: int) -> str:
    return iso(now_utc() - timedelta(days=days))


def test_a_batch_queues_the_flag_engine_from_its_earliest_day_and_marks_a_replan(
    client, app, patient
) -> None:
    items = [
        {"kind": "pain_rating", "data": pain_body()},
        {"kind": "pain_rating", "data": pain_body(recorded_at=_days_ago(3))},
        {"kind": "posture_break", "data": posture_body(recorded_at=_days_ago(1))},
    ]

    assert _sync(client, patient, items) == ["created"] * 3
    assert _marks(app, patient) == ((now_utc() - timedelta(days=3)).date(), True)


def test_a_batch_of_pain_ratings_marks_no_replan(client, app, patient) -> None:
    items = [{"kind": "pain_rating", "data": pain_body()} for _ in range(3)]

    assert _sync(client, patient, items) == ["created"] * 3
    assert _marks(app, patient) == (now_utc().date(), False)


def test_a_record_not_stored_leaves_no_mark_of_its_own(client, app, patient) -> None:
    taken = pain_body(recorded_at=_days_ago(4))
    assert client.post(PATHS["pain_rating"], json=taken, headers=patient.headers).status_code == 201
    with app.app_context():  # forget the single post's marks
        for model in (FlagEvaluationState, ReplanMark):
            db.session.execute(sa.delete(model).where(model.patient_id == patient.id))
        db.session.commit()
    items = [
        # another kind under a stored id: refused, so neither its day nor its replan counts
        {"kind": "posture_break", "data": {"id": taken["id"], "recorded_at": _days_ago(4)}},
        {"kind": "pain_rating", "data": pain_body(recorded_at=_days_ago(2))},
    ]

    assert _sync(client, patient, items) == ["conflict", "created"]
    assert _marks(app, patient) == ((now_utc() - timedelta(days=2)).date(), False)
