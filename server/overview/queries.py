"""The patient-list summary (PRODUCT.md §2), computed for a whole page at once.

Each piece is one set-based query (or a fixed few) over all patients of the page, never one per
patient, so a page of 200 costs the same number of statements as a page of 5. The patient
endpoints (accounts, below the domains read here) reach it through ``create_app``
(``server/wiring.py``).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from server.accounts.models import Patient
from server.accounts.queries import SEVERITIES, PatientRow, PatientSummary, no_open_flags
from server.accounts.rules import pain_window
from server.adherence.week import adherence_7d_by_key
from server.clock import local_date_of
from server.database.any_of import any_key_of, id_text, key_of, key_rows
from server.extensions import db
from server.flags.models import ActiveFlagCount
from server.measures.models import Measure, MeasureResponse
from server.measures.rules import change_from_baseline, interpret
from server.tracking.models import PainDay, PatientActivity


class Subject(NamedTuple):
    """A patient as the summary reads it: the id's key text (``database.any_of.id_text``), the
    time zone and the stored activity time."""

    key: str
    timezone: str
    last_activity_at: datetime | None


def subject_of(patient: Patient | PatientRow, dialect: sa.Dialect) -> Subject:
    """A loaded patient, or a listed row (which holds its key already), as a :class:`Subject`."""
    key = patient.key if isinstance(patient, PatientRow) else key_of(patient.id, dialect)
    return Subject(key, patient.timezone, patient.last_activity_at)


class Figures(NamedTuple):
    """What one statement finds for a patient: the latest record, the pain days' total and
    count in the patient's window, and the active flags by severity."""

    last_recorded_at: datetime | None
    pain_total: int | None
    pain_days: int
    flags: dict[str, int]


def patient_figures(subjects: Sequence[Subject], now: datetime) -> dict[str, Figures]:
    """Each patient's :class:`Figures`, by key text: one statement per distinct pain window
    (patients in one time zone share one), a row per patient, the maintained summaries joined
    to the page's patients."""
    windows: dict[tuple[date, date], list[str]] = {}
    zones = {
        tz: pain_window(local_date_of(now, ZoneInfo(tz))) for tz in {s.timezone for s in subjects}
    }
    for subject in subjects:
        windows.setdefault(zones[subject.timezone], []).append(subject.key)
    found: dict[str, Figures] = {}
    connection = db.session.connection()
    statement = _figures(connection.dialect.name)
    for (start, end), keys in windows.items():
        params = {"ids": keys, "start": start, "end": end}
        for key, at, total, days, *flags in connection.execute(statement, params).all():
            counts = dict(zip(SEVERITIES, flags, strict=True)) if flags[0] is not None else None
            found[key] = Figures(at, total, days or 0, counts or no_open_flags())
    return found


@functools.cache
def _figures(dialect: str) -> sa.Select[Any]:
    # Built once, its parameters left open (building and cache-keying it anew costs more).
    if dialect == "postgresql":
        return _figures_by_key()
    pain = (
        sa.select(
            PainDay.patient_id,
            sa.func.sum(PainDay.max_pain).label("total"),
            sa.func.count().label("days"),
        )
        .where(
            any_key_of(PainDay.patient_id),
            PainDay.local_date >= sa.bindparam("start", type_=sa.Date()),
            PainDay.local_date <= sa.bindparam("end", type_=sa.Date()),
        )
        .group_by(PainDay.patient_id)
        .subquery("pain")
    )
    flags = ActiveFlagCount.__table__.c
    return (
        sa.select(
            id_text(Patient.id),
            PatientActivity.last_recorded_at,
            pain.c.total,
            pain.c.days,
            *(flags[severity] for severity in SEVERITIES),
        )
        .outerjoin(PatientActivity, PatientActivity.patient_id == Patient.id)
        .outerjoin(pain, pain.c.patient_id == Patient.id)
        .outerjoin(ActiveFlagCount, ActiveFlagCount.patient_id == Patient.id)
        .where(any_key_of(Patient.id))
    )


def _figures_by_key() -> sa.Select[Any]:
    """PostgreSQL: :func:`_figures` read key by key (``LATERAL``), each patient's pain days found
    by index, not aggregated for the whole page and hashed to it: about a third less of the
    backend's CPU for a page of 200. A patient without any has zero days; without a row of
    counts (``ActiveFlagCount``), no flags."""
    keys = key_rows()
    pain = (
        sa.select(sa.func.sum(PainDay.max_pain).label("total"), sa.func.count().label("days"))
        .where(
            PainDay.patient_id == keys.c.id,
            PainDay.local_date >= sa.bindparam("start", type_=sa.Date()),
            PainDay.local_date <= sa.bindparam("end", type_=sa.Date()),
        )
        .lateral("pain")
    )
    flags = ActiveFlagCount.__table__.c
    return (
        sa.select(
            id_text(keys.c.id),
            PatientActivity.last_recorded_at,
            pain.c.total,
            pain.c.days,
            *(flags[severity] for severity in SEVERITIES),
        )
        .select_from(keys)
        .outerjoin(PatientActivity, PatientActivity.patient_id == keys.c.id)
        .join(pain, sa.true())
        .outerjoin(ActiveFlagCount, ActiveFlagCount.patient_id == keys.c.id)
    )


def _latest(logged: datetime | None, stored: datetime | None) -> datetime | None:
    """The later of a patient's latest record and the stored activity time, either or both
    possibly unknown."""
    if logged is None or stored is None:
        return logged or stored
    return max(logged, stored)


def summarise_patients(
    patients: Sequence[Patient | PatientRow], *, now: datetime
) -> dict[Any, PatientSummary]:
    """The summary of every patient on a page, with a fixed number of queries, by each one's
    ``id`` (a listed row's is its text)."""
    dialect = db.session.get_bind().dialect
    subjects = [subject_of(patient, dialect) for patient in patients]
    # Read-only: pending audit rows of the caller are written at commit, not before the first
    # query here, so on SQLite the write lock is not held while the summaries are computed.
    with db.session.no_autoflush:
        keys = [subject.key for subject in subjects]
        figures = patient_figures(subjects, now)
        adherence = adherence_7d_by_key([(s.key, s.timezone) for s in subjects], now)
        outcomes = latest_outcomes(keys)
    summaries = {}
    for patient, subject in zip(patients, subjects, strict=True):
        figure = figures.get(subject.key) or Figures(None, None, 0, no_open_flags())
        summaries[patient.id] = PatientSummary(
            adherence_7d=adherence[subject.key],
            # as accounts.rules.mean_daily_pain
            pain_7d_mean=round(figure.pain_total / figure.pain_days, 2)
            if figure.pain_days
            else None,
            open_flags=figure.flags,
            last_activity_at=_latest(figure.last_recorded_at, subject.last_activity_at),
            outcomes=outcomes.get(subject.key, []),
        )
    return summaries


def latest_outcomes(keys: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """Per patient (by key text), each answered measure's latest response against its baseline
    (the earliest): code, score, change and interpretation by the MCID, by code. One query: the
    first and the last response of every (patient, measure), ranked by window functions."""
    if not keys:
        return {}
    rows = db.session.connection().execute(_outcome_ends(), {"ids": list(keys)}).all()
    ends: dict[tuple[str, str], list[Any]] = {}
    for row in rows:
        ends.setdefault((row.patient_id, row.measure_code), []).append(row)
    found: dict[str, list[dict[str, Any]]] = {}
    for (key, code), pair in ends.items():
        baseline, latest = pair[0], pair[-1]
        change = baseline.definition["change"]
        compared = baseline.score if baseline is not latest else None
        places = baseline.definition["scoring"]["decimals"]
        difference = change_from_baseline(change["direction"], latest.score, compared, places)
        found.setdefault(key, []).append(
            {
                "measure": code,
                "score": latest.score,
                "change": difference,
                "interpretation": interpret(
                    change["direction"], change["mcid"]["value"], latest.score, difference
                ),
            }
        )
    return found


@functools.cache
def _outcome_ends() -> sa.Select[Any]:
    # Built once, its parameters left open.
    order = (MeasureResponse.recorded_at, MeasureResponse.id)
    partition = (MeasureResponse.patient_id, MeasureResponse.measure_code)
    ranked = (
        sa.select(
            id_text(MeasureResponse.patient_id).label("patient_id"),
            MeasureResponse.measure_code,
            MeasureResponse.score,
            sa.func.row_number().over(partition_by=partition, order_by=order).label("first"),
            sa.func.row_number()
            .over(partition_by=partition, order_by=[c.desc() for c in order])
            .label("last"),
        )
        .where(any_key_of(MeasureResponse.patient_id))
        .subquery()
    )
    return (
        sa.select(ranked, Measure.definition)
        .join(Measure, Measure.code == ranked.c.measure_code)
        .where(sa.or_(ranked.c.first == 1, ranked.c.last == 1))
        .order_by(ranked.c.patient_id, ranked.c.measure_code, ranked.c.first)
    )
