"""Reads of outcome measures: the library, a programme's schedules with their administrations,
and a patient's series of scored responses with the change from baseline.

The plain helpers (``measure_by_code``, ``series_of``, ``response_view``, …) take ids the caller
has authorized and neither check access nor audit; the ``list_…``/``get_…`` reads behind the
routes do both.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from server.access import Actor, get_scoped, scoped
from server.accounts.models import Patient
from server.audit import services as audit
from server.clock import utcnow
from server.errors import NotFound
from server.extensions import db
from server.measures import rules
from server.measures.models import Measure, MeasureResponse, MeasureSchedule
from server.pagination import keyset_pages, paginate
from server.programmes.models import Programme


def measure_by_code(code: str) -> Measure | None:
    """The library's measure with this code, if any."""
    return db.session.scalar(sa.select(Measure).where(Measure.code == code))


def list_measures(*, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the library, by code: each measure's definition."""
    measures, next_cursor = paginate(
        sa.select(Measure),
        keys=[(Measure.code, False)],
        key_of=lambda m: (m.code,),
        limit=limit,
        cursor=cursor,
    )
    return [m.definition for m in measures], next_cursor


def administrations_by(
    schedule: MeasureSchedule, programme: Programme, tz: ZoneInfo, until: date
) -> list[rules.Administration]:
    """The schedule's administrations due on or before local ``until``, then the next one."""
    stopped = schedule.removed_at.astimezone(tz).date() if schedule.removed_at else None
    every = rules.administrations(
        schedule.id,
        start=programme.start_date,
        end=programme.end_date,
        at_start=schedule.at_start,
        every_weeks=schedule.every_weeks,
        at_end=schedule.at_end,
        window_days=schedule.window_days,
        stopped=stopped,
    )
    due = []
    for administration in every:
        due.append(administration)
        if administration.due > until:
            break  # the next one
    return due


@dataclass(frozen=True)
class ScheduleView:
    """A schedule with the administrations it has made due (as ``MeasureScheduleOut``)."""

    schedule: MeasureSchedule
    administrations: list[rules.Administration]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.schedule, name)


def schedule_view(schedule: MeasureSchedule, programme: Programme, now: datetime) -> ScheduleView:
    """``schedule`` with its administrations up to the patient's today, and the next one."""
    tz = ZoneInfo(db.session.get_one(Patient, programme.patient_id).timezone)
    today = now.astimezone(tz).date()
    return ScheduleView(schedule, administrations_by(schedule, programme, tz, today))


def list_schedules(
    *,
    actor: Actor,
    programme_id: uuid.UUID,
    limit: int,
    cursor: str | None,
    now: datetime | None = None,
) -> tuple[list[ScheduleView], str | None]:
    """The measures scheduled on a programme (not removed), by code (audited read)."""
    programme = get_scoped(Programme, programme_id, actor)
    now = now or utcnow()
    schedules, next_cursor = paginate(
        scoped(MeasureSchedule, actor).where(
            MeasureSchedule.programme_id == programme.id, MeasureSchedule.removed_at.is_(None)
        ),
        keys=[(MeasureSchedule.measure_code, False), (MeasureSchedule.id, False)],
        key_of=lambda s: (s.measure_code, s.id),
        limit=limit,
        cursor=cursor,
    )
    audit_read(actor, programme.patient_id, "measure_schedule.list", "programme", programme.id, now)
    return [schedule_view(s, programme, now) for s in schedules], next_cursor


def get_schedule(
    *, actor: Actor, programme_id: uuid.UUID, schedule_id: uuid.UUID, now: datetime | None = None
) -> ScheduleView:
    """One measure scheduled on the programme (audited read); 404 when removed or elsewhere."""
    schedule = scheduled_on(actor, programme_id, schedule_id)
    programme = get_scoped(Programme, programme_id, actor)
    now = now or utcnow()
    audit_read(
        actor, schedule.patient_id, "measure_schedule.read", "measure_schedule", schedule.id, now
    )
    return schedule_view(schedule, programme, now)


def scheduled_on(actor: Actor, programme_id: uuid.UUID, schedule_id: uuid.UUID) -> MeasureSchedule:
    """The programme's schedule with this id, not removed (404 otherwise)."""
    schedule = get_scoped(MeasureSchedule, schedule_id, actor)
    if schedule.programme_id != programme_id or schedule.removed_at is not None:
        raise NotFound("No measure on this programme with this id.")
    return schedule


def audit_read(
    actor: Actor, patient_id: uuid.UUID, action: str, kind: str, object_id: Any, now: datetime
) -> None:
    """The audit row of a read of one patient's measures, the request's last write."""
    audit.read(action, actor=actor, patient_id=patient_id, target=(kind, object_id), now=now)


def responses_of(patient_id: uuid.UUID, codes: Iterable[str]) -> list[MeasureResponse]:
    """The patient's responses to these measures, oldest first (the first is the baseline)."""
    return list(
        db.session.scalars(
            sa.select(MeasureResponse)
            .where(MeasureResponse.patient_id == patient_id)
            .where(MeasureResponse.measure_code.in_(list(codes)))
            .order_by(MeasureResponse.recorded_at, MeasureResponse.id)
        )
    )


def baseline_of(patient_id: uuid.UUID, code: str) -> MeasureResponse | None:
    """The patient's earliest response to the measure: what every later one is compared with."""
    return db.session.scalar(
        sa.select(MeasureResponse)
        .where(MeasureResponse.patient_id == patient_id, MeasureResponse.measure_code == code)
        .order_by(MeasureResponse.recorded_at, MeasureResponse.id)
        .limit(1)
    )


def response_view(
    response: MeasureResponse, baseline: MeasureResponse | None, measure: Measure
) -> dict[str, Any]:
    """A response as ``MeasureResponseOut``: stored score and band, and the change from
    ``baseline`` with its interpretation by the measure's MCID."""
    change = measure.definition["change"]
    direction, mcid = change["direction"], change["mcid"]["value"]
    if direction == rules.CHANGE_SCORE or baseline is None:
        baseline = None  # a change score has no baseline; it is interpreted by itself
    compared = baseline if baseline is not None and baseline.id != response.id else None
    places = measure.definition["scoring"]["decimals"]
    difference = rules.change_from_baseline(
        direction, response.score, compared.score if compared else None, places
    )
    return {
        "id": response.id,
        "recorded_at": response.recorded_at,
        "received_at": response.received_at,
        "local_date": response.local_date,
        "measure": response.measure_code,
        "measure_version": response.measure_version,
        "administration_id": response.administration_id,
        "answers": response.answers,
        "score": response.score,
        "score_percent": response.score_percent,
        "band": response.band,
        "prorated": response.prorated,
        "baseline_id": baseline.id if baseline else None,
        "baseline_score": baseline.score if baseline else None,
        "change": difference,
        "interpretation": rules.interpret(direction, mcid, response.score, difference),
        "mcid": mcid,
    }


def series_of(patient_id: uuid.UUID, measures: Sequence[Measure]) -> list[dict[str, Any]]:
    """Each measure's responses of the patient, oldest first, as ``MeasureSeriesOut``."""
    by_code: dict[str, list[MeasureResponse]] = {m.code: [] for m in measures}
    for response in responses_of(patient_id, by_code):
        by_code[response.measure_code].append(response)
    series = []
    for measure in measures:
        responses = by_code[measure.code]
        baseline = responses[0] if responses else None
        change = measure.definition["change"]
        series.append(
            {
                "measure": measure.code,
                "name": measure.definition["name"],
                "direction": change["direction"],
                "mcid": change["mcid"],
                "mdc": change["mdc"],
                "responses": [response_view(r, baseline, measure) for r in responses],
            }
        )
    return series


def list_patient_series(
    *,
    actor: Actor,
    patient_id: uuid.UUID,
    limit: int,
    cursor: str | None,
    now: datetime | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page (by code) of the measures the patient has answered, each with its series
    (audited read)."""
    patient = get_scoped(Patient, patient_id, actor)
    answered = sa.exists().where(
        MeasureResponse.patient_id == patient.id, MeasureResponse.measure_code == Measure.code
    )
    measures, next_cursor = paginate(
        sa.select(Measure).where(answered),
        keys=[(Measure.code, False)],
        key_of=lambda m: (m.code,),
        limit=limit,
        cursor=cursor,
    )
    series = series_of(patient.id, measures)
    audit_read(actor, patient.id, "measure.series_read", "patient", patient.id, now or utcnow())
    return series, next_cursor


def every_response(patient_id: uuid.UUID) -> Iterator[MeasureResponse]:
    """Every measure response of the patient, oldest first, read a page at a time."""
    statement = sa.select(MeasureResponse).where(MeasureResponse.patient_id == patient_id)
    return keyset_pages(statement, keys=[MeasureResponse.recorded_at, MeasureResponse.id])


def schedules_of(patient_id: uuid.UUID) -> Iterator[MeasureSchedule]:
    """Every measure schedule of the patient, removed ones too, oldest first."""
    statement = sa.select(MeasureSchedule).where(MeasureSchedule.patient_id == patient_id)
    return keyset_pages(statement, keys=[MeasureSchedule.created_at, MeasureSchedule.id])


def outcomes_of(patient_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every scored response of the patient, oldest first, each as ``response_view`` plus its
    measure's MCID citation and direction: what the flag engine's outcome rules judge."""
    answered = sa.select(MeasureResponse.measure_code).where(
        MeasureResponse.patient_id == patient_id
    )
    measures = db.session.scalars(sa.select(Measure).where(Measure.code.in_(answered))).all()
    outcomes = [
        {**view, "direction": series["direction"], "mcid_citation": series["mcid"]["citation"]}
        for series in series_of(patient_id, measures)
        for view in series["responses"]
    ]
    return sorted(outcomes, key=lambda view: (view["recorded_at"], view["id"]))
