"""The daily pain series: one row per local day, from a few grouped queries."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from server.adherence.series import daily_pain_series, daily_pain_series_for_patients
from server.extensions import db
from server.tracking.models import HeadacheEntry, PainDay, PainRating, SessionLog

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)


def _common(patient, day: date) -> dict:
    return {
        "id": uuid.uuid4(),
        "clinic_id": patient.clinic_id,
        "patient_id": patient.id,
        "recorded_at": NOW,
        "received_at": NOW,
        "local_date": day,
        "body_digest": "x" * 64,
    }


def _rating(patient, day: date, score: int, context: str = "now") -> PainRating:
    return PainRating(**_common(patient, day), score=score, context=context)


def _headache(patient, day: date, intensity: int, minutes: int) -> HeadacheEntry:
    return HeadacheEntry(
        **_common(patient, day),
        started_at=NOW,
        duration_minutes=minutes,
        intensity=intensity,
        side="left",
        triggers=[],
        medication_taken=False,
    )


def _session(patient, day: date, during=None, after=None, exertion=None) -> SessionLog:
    return SessionLog(
        **_common(patient, day),
        slot="morning",
        status="completed",
        items=[],
        pain_during=during,
        pain_after=after,
        exertion=exertion,
    )


@pytest.fixture
def patient(make_patient):
    return make_patient()


def test_series_combines_ratings_headaches_and_sessions(app_ctx, patient) -> None:
    d1, d2, d3 = date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)
    db.session.add_all(
        [
            _rating(patient, d1, 3, "morning"),
            _rating(patient, d1, 5, "evening"),
            _rating(patient, d1, 2, "morning"),
            _headache(patient, d1, 6, 30),
            _headache(patient, d1, 4, 45),
            _session(patient, d2, during=7, after=4, exertion=5),
            _session(patient, d2, during=None, after=2, exertion=8),
            _rating(patient, date(2026, 3, 4), 9),  # outside the range
        ]
    )
    db.session.commit()

    series = daily_pain_series(patient.id, d1, d3)

    assert [d.day for d in series] == [d1, d2, d3]
    first, second, third = series
    assert first.max_pain == 6
    assert first.mean_pain == pytest.approx(10 / 3)
    assert first.morning_pain == 3
    assert (first.headache_count, first.headache_minutes) == (2, 75)
    assert first.session_pain_max is None
    assert first.sessions_logged == 0
    assert second.max_pain == 7
    assert second.mean_pain is None
    assert second.session_pain_max == 7
    assert second.exertion_max == 8
    assert second.sessions_logged == 2
    assert not third.has_data
    assert third.max_pain is None
    assert third.headache_count == 0


def test_a_rating_during_or_after_exercise_is_session_pain(app_ctx, patient) -> None:
    """The flare rule "pain during or after exercise > 5/10" reads ``session_pain_max``: a
    rating the patient gave in that context counts as much as a session log's own pain."""
    d1, d2, d3 = date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)
    db.session.add_all(
        [
            _rating(patient, d1, 7, "during_exercise"),
            _rating(patient, d1, 3, "now"),
            _session(patient, d2, during=4),
            _rating(patient, d2, 6, "after_exercise"),
            _rating(patient, d3, 8, "evening"),
        ]
    )
    db.session.commit()

    first, second, third = daily_pain_series(patient.id, d1, d3)

    assert (first.session_pain_max, first.max_pain, first.sessions_logged) == (7, 7, 0)
    assert (second.session_pain_max, second.max_pain) == (6, 6)
    assert (third.session_pain_max, third.max_pain) == (None, 8)


def test_batch_variant_keeps_patients_apart(app_ctx, make_patient, patient) -> None:
    other = make_patient()
    day = date(2026, 3, 1)
    db.session.add_all([_rating(patient, day, 2), _rating(other, day, 8)])
    db.session.commit()

    by_patient = daily_pain_series_for_patients([patient.id, other.id], day, day)

    assert by_patient[patient.id][0].max_pain == 2
    assert by_patient[other.id][0].max_pain == 8


def test_the_maintained_daily_maxima_agree_with_the_series(app_ctx, make_patient, patient) -> None:
    """The patient list's (sum, days) of daily maxima, from the summary the record tables'
    triggers maintain (``pain_days``), equals summing the series' ``max_pain``, whichever of a
    session's ``pain_during`` and ``pain_after`` is missing or higher.
    """
    other, quiet = make_patient(), make_patient()
    d = [date(2026, 3, n) for n in range(1, 8)]
    db.session.add_all(
        [
            _session(patient, d[0], during=7, after=4),
            _session(patient, d[1], during=None, after=5),
            _session(patient, d[2], during=6, after=None),
            _session(patient, d[3], during=None, after=None),  # no pain: not a day with data
            _session(patient, d[4], during=3, after=3),
            _rating(patient, d[4], 2),
            _headache(patient, d[5], 9, 20),
            _rating(patient, d[5], 4),
            _rating(other, d[0], 1),
            _session(other, d[0], during=2, after=8),
            _session(other, d[6], during=0, after=None),
            _rating(other, date(2026, 3, 8), 10),  # outside the range
        ]
    )
    db.session.commit()
    ids = [patient.id, other.id, quiet.id]

    rows = db.session.execute(
        sa.select(PainDay.patient_id, sa.func.sum(PainDay.max_pain), sa.func.count())
        .where(PainDay.patient_id.in_(ids), PainDay.local_date.between(d[0], d[-1]))
        .group_by(PainDay.patient_id)
    )
    totals = {row[0]: (int(row[1]), int(row[2])) for row in rows}

    expected = {}
    for patient_id, series in daily_pain_series_for_patients(ids, d[0], d[-1]).items():
        maxima = [day.max_pain for day in series if day.max_pain is not None]
        if maxima:
            expected[patient_id] = (sum(maxima), len(maxima))
    assert totals == expected == {patient.id: (7 + 5 + 6 + 3 + 9, 5), other.id: (8 + 0, 2)}
