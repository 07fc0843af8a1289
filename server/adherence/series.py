"""A patient's daily pain series, computed with a few GROUP BY queries over ``local_date``.

Shared by the pain endpoint and the flag engine. Days are patient-local calendar dates, already
stored on every record (``local_date``), so no time-zone arithmetic happens here.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from server.clock import days_between
from server.extensions import db
from server.tracking.models import HeadacheEntry, PainRating, SessionLog

EXERCISE_CONTEXTS = ("during_exercise", "after_exercise")


@dataclass(frozen=True)
class DayPain:
    """One local day of a patient's pain data; ``None`` where that day has no such data.

    ``max_pain`` is the day's highest of pain ratings, headache intensities and session
    ``pain_during``/``pain_after`` (PRODUCT.md §4 "daily pain"). ``mean_pain`` averages the day's
    pain ratings only; ``morning_pain`` is the highest ``context=morning`` rating.
    ``session_pain_max`` is the highest pain during or after exercise: a session log's
    ``pain_during``/``pain_after`` or a rating in context ``during_exercise``/``after_exercise``.
    ``sessions_logged`` counts session logs of any status (completed, partial or skipped),
    ``sessions_done`` those completed or partial, scheduled that day or not.
    """

    day: date
    max_pain: int | None
    mean_pain: float | None
    morning_pain: int | None
    headache_count: int
    headache_minutes: int
    session_pain_max: int | None
    exertion_max: int | None
    sessions_logged: int
    sessions_done: int = 0

    @property
    def has_data(self) -> bool:
        """Whether anything pain-related or any session was logged that day."""
        return self.max_pain is not None or self.sessions_logged > 0


def _max_of(*values: int | None) -> int | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def _grouped(
    columns: list[Any], model: Any, patient_ids: list[uuid.UUID], start: date, end: date
) -> dict[tuple[uuid.UUID, date], Any]:
    stmt = (
        sa.select(model.patient_id, model.local_date, *columns)
        .where(
            model.patient_id.in_(patient_ids),
            model.local_date >= start,
            model.local_date <= end,
        )
        .group_by(model.patient_id, model.local_date)
    )
    return {(row[0], row[1]): row for row in db.session.execute(stmt)}


def daily_pain_series_for_patients(
    patient_ids: Iterable[uuid.UUID], start: date, end: date
) -> dict[uuid.UUID, list[DayPain]]:
    """Every given patient's ``DayPain`` for each local day in ``[start, end]``: three queries."""
    ids = list(dict.fromkeys(patient_ids))
    if not ids or end < start:
        return {patient_id: [] for patient_id in ids}
    morning = sa.case((PainRating.context == "morning", PainRating.score))
    # A rating taken during or after exercise is session pain as much as a session log's own.
    exercise = sa.case((PainRating.context.in_(EXERCISE_CONTEXTS), PainRating.score))
    ratings = _grouped(
        [
            sa.func.max(PainRating.score),
            sa.func.avg(PainRating.score),
            sa.func.max(morning),
            sa.func.max(exercise),
        ],
        PainRating,
        ids,
        start,
        end,
    )
    headaches = _grouped(
        [
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(HeadacheEntry.duration_minutes), 0),
            sa.func.max(HeadacheEntry.intensity),
        ],
        HeadacheEntry,
        ids,
        start,
        end,
    )
    sessions = _grouped(
        [
            sa.func.max(SessionLog.pain_during),
            sa.func.max(SessionLog.pain_after),
            sa.func.max(SessionLog.exertion),
            sa.func.count(),
            sa.func.count(sa.case((SessionLog.status != "skipped", 1))),
        ],
        SessionLog,
        ids,
        start,
        end,
    )
    days = days_between(start, end)
    result: dict[uuid.UUID, list[DayPain]] = {}
    for patient_id in ids:
        series = []
        for day in days:
            key = (patient_id, day)
            rating = ratings.get(key)
            headache = headaches.get(key)
            session = sessions.get(key)
            session_pain = _max_of(
                session[2] if session else None,
                session[3] if session else None,
                rating[5] if rating else None,
            )
            series.append(
                DayPain(
                    day=day,
                    max_pain=_max_of(
                        rating[2] if rating else None,
                        headache[4] if headache else None,
                        session_pain,
                    ),
                    mean_pain=float(rating[3]) if rating and rating[3] is not None else None,
                    morning_pain=rating[4] if rating else None,
                    headache_count=int(headache[2]) if headache else 0,
                    headache_minutes=int(headache[3]) if headache else 0,
                    session_pain_max=session_pain,
                    exertion_max=session[4] if session else None,
                    sessions_logged=int(session[5]) if session else 0,
                    sessions_done=int(session[6]) if session else 0,
                )
            )
        result[patient_id] = series
    return result


def daily_pain_series(patient_id: uuid.UUID, start: date, end: date) -> list[DayPain]:
    """One patient's ``DayPain`` for each local day in ``[start, end]`` (inclusive)."""
    return daily_pain_series_for_patients([patient_id], start, end)[patient_id]


# A session's pain: the higher of ``pain_during`` and ``pain_after``, either of which may be
# missing (NULL only when both are), so the daily maximum reads the session logs once.
SESSION_PAIN = sa.func.coalesce(
    sa.case(
        (SessionLog.pain_during > SessionLog.pain_after, SessionLog.pain_during),
        else_=SessionLog.pain_after,
    ),
    SessionLog.pain_during,
)
# Every source of a day's pain (PRODUCT.md §4 "daily pain"): (model, its pain value).
PAIN_SOURCES = (
    (PainRating, PainRating.score),
    (HeadacheEntry, HeadacheEntry.intensity),
    (SessionLog, SESSION_PAIN),
)
