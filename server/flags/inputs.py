"""Loading what the flag rules need for one patient, with bounded window queries only.

Every query is limited to a date range around the evaluated days (or to the first 7 days with
data, for a derived baseline), so the cost does not grow with the length of the history.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from server.accounts.models import Clinic, Patient
from server.adherence.pain import Baseline as ReportBaseline
from server.adherence.series import PAIN_SOURCES, daily_pain_series
from server.adherence.services import adherence_by_patient
from server.clock import local_date_of
from server.extensions import db
from server.flag_thresholds import ResolvedThresholds, Thresholds, resolve_thresholds
from server.flags.outcomes import Outcome
from server.flags.rules import Baseline, DayFacts, derive_baseline
from server.measures.queries import outcomes_of
from server.programmes.models import Programme, ProgrammeRevision
from server.programmes.rules import level_moves
from server.tracking.models import SymptomCheck


@dataclass(frozen=True)
class ProgrammeFacts:
    """The patient's programme in force, reduced to what the rules need."""

    id: uuid.UUID
    start_date: date
    baseline_pain: float | None
    intensity_increases: tuple[date, ...]
    intensity_changes: tuple[date, ...]
    flag_thresholds: dict[str, Any]  # the newest revision's overrides


def programme_in_force(patient: Patient, today: date) -> tuple[Programme | None, Programme | None]:
    """(the newest programme started by ``today``, the next one not started yet)."""
    rows = db.session.scalars(
        sa.select(Programme)
        .where(Programme.patient_id == patient.id)
        .order_by(Programme.start_date.desc(), Programme.created_at.desc())
        .limit(5)
    ).all()
    started = next((p for p in rows if p.start_date <= today), None)
    upcoming = [p for p in rows if p.start_date > today]
    return started, (upcoming[-1] if upcoming else None)


def programme_facts(programme: Programme, tz: ZoneInfo) -> ProgrammeFacts:
    """The programme's start, baseline, threshold overrides and the local dates of its intensity
    changes: a progress or regress, or any revision that moves an item's level (up: an increase).
    """
    rows = db.session.execute(
        sa.select(
            ProgrammeRevision.kind,
            ProgrammeRevision.effective_at,
            ProgrammeRevision.items,
            ProgrammeRevision.flag_thresholds,
        )
        .where(ProgrammeRevision.programme_id == programme.id)
        .order_by(ProgrammeRevision.number)
    ).all()
    changes: set[date] = set()
    increases: set[date] = set()
    previous: list[Any] | None = None
    for kind, effective_at, items, _ in rows:
        raised, moved = level_moves(previous, items) if previous is not None else (False, False)
        previous = items
        if kind == "progress" or raised:
            increases.add(local_date_of(effective_at, tz))
        if kind in ("progress", "regress") or moved:
            changes.add(local_date_of(effective_at, tz))
    return ProgrammeFacts(
        id=programme.id,
        start_date=programme.start_date,
        baseline_pain=programme.baseline_pain,
        intensity_increases=tuple(sorted(increases)),
        intensity_changes=tuple(sorted(changes)),
        flag_thresholds=dict(rows[-1].flag_thresholds or {}) if rows else {},
    )


def thresholds_for(patient: Patient, programme: ProgrammeFacts | None) -> ResolvedThresholds:
    """The thresholds in force: the programme's overrides, then the clinic's, then defaults."""
    clinic = db.session.get(Clinic, patient.clinic_id)
    return resolve_thresholds(
        clinic=clinic.flag_thresholds if clinic else None,
        programme=programme.flag_thresholds if programme else None,
    )


def first_pain_days(patient_id: uuid.UUID, since: date, count: int) -> list[tuple[date, int]]:
    """(day, daily pain) of the first ``count`` days with pain data on or after ``since``.

    Each source contributes its first ``count`` distinct dates through the (patient, date)
    index, then one aggregate runs over that short date range only.
    """
    dates: set[date] = set()
    for model, column in PAIN_SOURCES:
        dates.update(
            db.session.scalars(
                sa.select(model.local_date)
                .where(
                    model.patient_id == patient_id, model.local_date >= since, column.is_not(None)
                )
                .distinct()
                .order_by(model.local_date)
                .limit(count)
            )
        )
    chosen = sorted(dates)[:count]
    if not chosen:
        return []
    values = sa.union_all(
        *(
            sa.select(model.local_date.label("day"), column.label("pain")).where(
                model.patient_id == patient_id,
                model.local_date >= chosen[0],
                model.local_date <= chosen[-1],
                column.is_not(None),
            )
            for model, column in PAIN_SOURCES
        )
    ).subquery()
    rows = db.session.execute(
        sa.select(values.c.day, sa.func.max(values.c.pain)).group_by(values.c.day)
    ).all()
    return sorted((day, int(pain)) for day, pain in rows)


def baseline_for(
    patient_id: uuid.UUID, programme: ProgrammeFacts | Programme | None, thresholds: Thresholds
) -> Baseline | None:
    """The therapist's baseline, else the median of the first 7 days with data (once there are)."""
    if programme is not None and programme.baseline_pain is not None:
        return Baseline(float(programme.baseline_pain), "therapist")
    since = programme.start_date if programme is not None else date.min
    days = first_pain_days(patient_id, since, thresholds.baseline_days)
    return derive_baseline(days, thresholds)


def reported_baseline(patient: Patient, now: datetime) -> ReportBaseline:
    """The baseline the flag engine judges the patient's pain against today, for the pain
    report: the therapist's, else the median of the first 7 days with data once there are 7.
    """
    tz = ZoneInfo(patient.timezone)
    programme, _ = programme_in_force(patient, local_date_of(now, tz))
    facts = programme_facts(programme, tz) if programme else None
    thresholds = thresholds_for(patient, facts).values
    baseline = baseline_for(patient.id, facts, thresholds)
    if baseline is None:
        return ReportBaseline(None, "none", 0)
    if baseline.source == "therapist":
        return ReportBaseline(baseline.value, "therapist", 0)
    return ReportBaseline(baseline.value, "derived", thresholds.baseline_days)


def load_series(patient: Patient, start: date, end: date, now: datetime) -> dict[date, DayFacts]:
    """The patient's ``DayFacts`` for ``[start, end]``: pain, sessions and any activity."""
    pain = daily_pain_series(patient.id, start, end)
    adherence = adherence_by_patient([patient], {patient.id: (start, end)}, now)[patient.id]
    checks = set(
        db.session.scalars(
            sa.select(SymptomCheck.local_date)
            .where(
                SymptomCheck.patient_id == patient.id,
                SymptomCheck.local_date >= start,
                SymptomCheck.local_date <= end,
            )
            .distinct()
        )
    )
    series = {}
    for day_pain, day_adherence in zip(pain, adherence, strict=True):
        day = day_pain.day
        done = day_adherence.completed + day_adherence.partial
        series[day] = DayFacts(
            day=day,
            daily_pain=day_pain.max_pain,
            morning_pain=day_pain.morning_pain,
            session_pain=day_pain.session_pain_max,
            headaches=day_pain.headache_count,
            exertion_max=day_pain.exertion_max,
            sessions_due=day_adherence.sessions_prescribed - day_adherence.pending,
            sessions_credit=day_adherence.completed + 0.5 * day_adherence.partial,
            # Any session done counts for the next-morning rule, even on a day the schedule
            # leaves free (adherence counts only scheduled ones).
            exercised=done > 0 or day_pain.sessions_done > 0,
            logged=day_pain.has_data or day_adherence.posture_breaks_logged > 0 or day in checks,
        )
    return series


def load_outcomes(patient_id: uuid.UUID) -> list[Outcome]:
    """Every scored outcome-measure response of the patient, oldest first (a handful a month:
    a patient answers a few questionnaires per programme)."""
    return [Outcome.of(view) for view in outcomes_of(patient_id)]
