"""The patient-list summary (PRODUCT.md §2), computed for a whole page at once.

Each piece is one set-based query (or a fixed few) over all patients of the page, never one per
patient, so a page of 200 costs the same number of statements as a page of 5. The patient
endpoints (accounts, below the domains read here) reach it through ``create_app``
(``server/wiring.py``).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from server.accounts.models import Patient
from server.accounts.queries import PatientSummary, no_open_flags
from server.accounts.rules import pain_window
from server.adherence.services import adherence_7d_for_patients
from server.clock import local_date_of
from server.database.any_of import any_of
from server.extensions import db
from server.flags.services import open_flag_counts
from server.measures.models import Measure, MeasureResponse
from server.measures.rules import change_from_baseline, interpret
from server.tracking.models import PainDay, PatientActivity


def pain_7d_means(patients: Sequence[Patient], now: datetime) -> dict[uuid.UUID, float | None]:
    """Each patient's mean daily maximum pain over their last 7 local days, days without data
    left out: one aggregate over the maintained daily maxima per distinct window (patients in
    one time zone share one).
    """
    windows: dict[tuple[date, date], list[uuid.UUID]] = {}
    zones = {
        tz: pain_window(local_date_of(now, ZoneInfo(tz))) for tz in {p.timezone for p in patients}
    }
    for patient in patients:
        windows.setdefault(zones[patient.timezone], []).append(patient.id)
    means: dict[uuid.UUID, float | None] = {p.id: None for p in patients}
    connection = db.session.connection()
    for (start, end), ids in windows.items():
        rows = connection.execute(_pain_totals(), {"ids": ids, "start": start, "end": end})
        for patient_id, total, days in rows:
            means[patient_id] = round(total / days, 2)  # as accounts.rules.mean_daily_pain
    return means


@functools.cache
def _pain_totals() -> sa.Select[Any]:
    # Built once, its parameters left open (building and cache-keying it anew costs more).
    return (
        sa.select(PainDay.patient_id, sa.func.sum(PainDay.max_pain), sa.func.count())
        .where(
            any_of(PainDay.patient_id),
            PainDay.local_date >= sa.bindparam("start", type_=sa.Date()),
            PainDay.local_date <= sa.bindparam("end", type_=sa.Date()),
        )
        .group_by(PainDay.patient_id)
    )


def last_activity(patients: Sequence[Patient]) -> dict[uuid.UUID, datetime | None]:
    """The latest ``recorded_at`` of anything each patient logged, or the stored activity time."""
    if not patients:
        return {}
    rows = db.session.connection().execute(
        _latest_recorded(), {"ids": [patient.id for patient in patients]}
    )
    logged = dict(rows.all())
    result = {}
    for patient in patients:
        present = [at for at in (logged.get(patient.id), patient.last_activity_at) if at]
        result[patient.id] = max(present, default=None)
    return result


@functools.cache
def _latest_recorded() -> sa.Select[Any]:
    return sa.select(PatientActivity.patient_id, PatientActivity.last_recorded_at).where(
        any_of(PatientActivity.patient_id)
    )


def adherence_7d_by_patient(
    patients: Sequence[Patient], now: datetime
) -> dict[uuid.UUID, float | None]:
    """Session adherence over the last 7 local days per patient (the adherence domain's batch)."""
    return adherence_7d_for_patients(patients, now=now)


def open_flags_by_patient(patients: Sequence[Patient]) -> dict[uuid.UUID, dict[str, int]]:
    """Open and acknowledged flag counts by severity per patient (the flags domain's batch)."""
    return open_flag_counts([patient.id for patient in patients])


def summarise_patients(
    patients: Sequence[Patient], *, now: datetime
) -> dict[uuid.UUID, PatientSummary]:
    """The summary of every patient on a page, with a fixed number of queries."""
    # Read-only: pending audit rows of the caller are written at commit, not before the first
    # query here, so on SQLite the write lock is not held while the summaries are computed.
    with db.session.no_autoflush:
        pain = pain_7d_means(patients, now)
        activity = last_activity(patients)
        adherence = adherence_7d_by_patient(patients, now)
        flags = open_flags_by_patient(patients)
        outcomes = latest_outcomes(patients)
    return {
        p.id: PatientSummary(
            adherence_7d=adherence.get(p.id),
            pain_7d_mean=pain.get(p.id),
            open_flags={**no_open_flags(), **flags.get(p.id, {})},
            last_activity_at=activity.get(p.id),
            outcomes=outcomes.get(p.id, []),
        )
        for p in patients
    }


def latest_outcomes(patients: Sequence[Patient]) -> dict[uuid.UUID, list[dict[str, Any]]]:
    """Per patient, each answered measure's latest response against its baseline (the earliest):
    code, score, change and interpretation by the MCID, by code. One query: the first and the
    last response of every (patient, measure), ranked by window functions."""
    if not patients:
        return {}
    order = (MeasureResponse.recorded_at, MeasureResponse.id)
    partition = (MeasureResponse.patient_id, MeasureResponse.measure_code)
    ranked = (
        sa.select(
            MeasureResponse.patient_id,
            MeasureResponse.measure_code,
            MeasureResponse.score,
            sa.func.row_number().over(partition_by=partition, order_by=order).label("first"),
            sa.func.row_number()
            .over(partition_by=partition, order_by=[c.desc() for c in order])
            .label("last"),
        )
        .where(any_of(MeasureResponse.patient_id))
        .subquery()
    )
    rows = db.session.execute(
        sa.select(ranked, Measure.definition)
        .join(Measure, Measure.code == ranked.c.measure_code)
        .where(sa.or_(ranked.c.first == 1, ranked.c.last == 1))
        .order_by(ranked.c.patient_id, ranked.c.measure_code, ranked.c.first),
        {"ids": [p.id for p in patients]},
    ).all()
    ends: dict[tuple[uuid.UUID, str], list[Any]] = {}
    for row in rows:
        ends.setdefault((row.patient_id, row.measure_code), []).append(row)
    found: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for (patient_id, code), pair in ends.items():
        baseline, latest = pair[0], pair[-1]
        change = baseline.definition["change"]
        compared = baseline.score if baseline is not latest else None
        places = baseline.definition["scoring"]["decimals"]
        difference = change_from_baseline(change["direction"], latest.score, compared, places)
        found.setdefault(patient_id, []).append(
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
