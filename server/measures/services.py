"""Writes of outcome measures: loading the library from ``seed/measures``, scheduling measures
on a programme, and storing a patient's scored response (idempotent by the client's id)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import marshmallow as ma
import sqlalchemy as sa
import yaml
from flask import current_app

from server.access import Actor, get_scoped
from server.accounts.consents import require_processing_allowed
from server.accounts.models import Patient
from server.audit import services as audit
from server.clock import utcnow
from server.errors import Conflict, Unprocessable, reader_messages
from server.events import RecordsIngested, ScheduleChanged, publish
from server.extensions import db
from server.measures import queries, rules
from server.measures.library_schemas import MeasureIn
from server.measures.models import Measure, MeasureResponse, MeasureSchedule
from server.measures.schemas import MeasureResponseIn
from server.programmes.models import Programme
from server.tracking import store as record_store
from server.tracking.digests import body_digest
from server.tracking.rules import time_window_errors

KIND = "measure_response"
TAKEN = "This id already holds a different record."
ALREADY_SCHEDULED = "This measure is already scheduled on the programme."
ANSWERED = "This administration has already been answered."
INVALID = "The request body or query is invalid."
_UNKNOWN = {"measure": ["Unknown measure."]}


class SeedError(RuntimeError):
    """A measure file is malformed; the message names the file and the field."""


def load_measures(seed_dir: Path) -> dict[str, int]:
    """Upsert every ``seed_dir/measures/*.yaml`` by code (a new file is a new measure, a
    changed file replaces its definition); returns how many there are."""
    definitions: dict[str, tuple[Path, dict[str, Any]]] = {}
    folder = seed_dir / "measures"
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        try:
            data = MeasureIn().load(yaml.safe_load(path.read_text(encoding="utf-8")))
        except yaml.YAMLError as error:
            raise SeedError(f"{path}: not valid YAML: {error}") from error
        except ma.ValidationError as error:
            raise SeedError(f"{path}: {error.messages}") from error
        if data["code"] in definitions:
            raise SeedError(f"{path}: code {data['code']!r} is also {definitions[data['code']][0]}")
        definitions[data["code"]] = (path, data)
    existing = {m.code: m for m in db.session.scalars(sa.select(Measure))}
    for code, (_, data) in definitions.items():
        measure = existing.get(code)
        if measure is None:
            db.session.add(Measure(code=code, version=data["version"], definition=data))
        elif measure.definition != data:
            measure.version, measure.definition, measure.updated_at = (
                data["version"],
                data,
                utcnow(),
            )
    db.session.flush()
    return {"measures": len(definitions)}


def attach_measure(
    *, actor: Actor, programme_id: uuid.UUID, data: Mapping[str, Any], now: datetime | None = None
) -> queries.ScheduleView:
    """Schedule a measure on an active programme; 409 when it is already scheduled there."""
    now = now or utcnow()
    programme = get_scoped(Programme, programme_id, actor)
    if programme.end_date is not None:
        raise Conflict("This programme has ended and can no longer change.")
    measure = queries.measure_by_code(data["measure"])
    if measure is None:
        raise Unprocessable(INVALID, errors=_UNKNOWN)
    if data["at_start"] and measure.definition["change"]["direction"] == rules.CHANGE_SCORE:
        message = "A change score is asked once treatment is under way, not at the start."
        raise Unprocessable(INVALID, errors={"at_start": [message]})
    schedule = MeasureSchedule(
        clinic_id=programme.clinic_id,
        patient_id=programme.patient_id,
        programme_id=programme.id,
        measure_code=measure.code,
        at_start=data["at_start"],
        every_weeks=data["every_weeks"],
        at_end=data["at_end"],
        window_days=data.get("window_days") or current_app.config["MEASURE_WINDOW_DAYS"],
        created_by=actor.user_id,
        created_at=now,
    )
    if db.session.scalar(
        sa.select(MeasureSchedule.id).where(
            MeasureSchedule.programme_id == programme.id,
            MeasureSchedule.measure_code == measure.code,
            MeasureSchedule.removed_at.is_(None),
        )
    ):
        raise Conflict(ALREADY_SCHEDULED)
    db.session.add(schedule)
    try:
        db.session.flush()
    except sa.exc.IntegrityError as error:  # scheduled by a concurrent request
        raise Conflict(ALREADY_SCHEDULED) from error
    _audit(actor, schedule, "measure_schedule.create", now)
    publish(ScheduleChanged(schedule.patient_id, now))
    return queries.schedule_view(schedule, programme, now)


def remove_measure(
    *, actor: Actor, programme_id: uuid.UUID, schedule_id: uuid.UUID, now: datetime | None = None
) -> None:
    """Stop a scheduled measure: nothing more falls due; its responses stay."""
    now = now or utcnow()
    schedule = queries.scheduled_on(actor, programme_id, schedule_id)
    schedule.removed_at, schedule.removed_by = now, actor.user_id
    _audit(actor, schedule, "measure_schedule.remove", now)
    db.session.flush()
    publish(ScheduleChanged(schedule.patient_id, now))


def _audit(actor: Actor | None, row: Any, action: str, now: datetime) -> None:
    audit.record(
        action,
        actor=actor or audit.SystemActor(row.clinic_id),
        patient_id=row.patient_id,
        target=(action.split(".")[0], row.id),
        now=now,
        clinic_id=row.clinic_id,
    )


def record_response(
    *, actor: Actor, body: Mapping[str, Any], now: datetime | None = None
) -> tuple[dict[str, Any], bool]:
    """Score and store the patient's response: (answer, True) when created, (the same, False)
    on an identical replay; 409 when the id holds another record; 422 outside the accepted time
    window, for an unknown measure or administration, or for answers that cannot be scored."""
    now = (now or utcnow()).astimezone(UTC)
    patient = get_scoped(Patient, actor.user_id, actor)
    require_processing_allowed(patient)
    digest = body_digest(KIND, body)
    stored = db.session.get(MeasureResponse, body["id"])
    if stored is not None:
        return _replayed(stored, patient, digest), False
    if record_store.lookup([body["id"]]):
        raise Conflict(TAKEN, id=body["id"])
    if errors := time_window_errors(body, now):
        raise Unprocessable("The record is outside the accepted time window.", errors=errors)
    measure = queries.measure_by_code(body["measure"])
    if measure is None:
        raise Unprocessable(INVALID, errors=_UNKNOWN)
    local_date = body["recorded_at"].astimezone(ZoneInfo(patient.timezone)).date()
    schedule_id = _answered_schedule(patient, measure, body["administration_id"], local_date)
    scored = _scored(measure, body["answers"], queries.baseline_of(patient.id, measure.code))
    row = {
        "id": body["id"],
        "clinic_id": patient.clinic_id,
        "patient_id": patient.id,
        "recorded_at": body["recorded_at"].astimezone(UTC),
        "received_at": now,
        "local_date": local_date,
        "body_digest": digest,
        "measure_code": measure.code,
        "measure_version": measure.version,
        "administration_id": body["administration_id"],
        "schedule_id": schedule_id,
        "answers": scored.answers,
        "score": scored.score,
        "score_percent": scored.percent,
        "band": scored.band,
        "prorated": scored.prorated,
    }
    if not _inserted(row):
        return _lost_race(row, patient, digest), False
    response = db.session.get_one(MeasureResponse, row["id"])
    patient.last_activity_at = now
    _audit(actor, response, "measure_response.create", now)
    db.session.flush()
    publish(
        RecordsIngested(
            patient.id, patient.clinic_id, frozenset({KIND}), frozenset({local_date}), (), now
        )
    )
    return _view(response, measure), True


def _view(response: MeasureResponse, measure: Measure) -> dict[str, Any]:
    """The answer to a post: against the patient's baseline as it stands now."""
    baseline = queries.baseline_of(response.patient_id, measure.code)
    return queries.response_view(response, baseline, measure)


def _scored(measure: Measure, answers: Any, baseline: MeasureResponse | None) -> rules.Scored:
    activities = None
    if baseline is not None and any(i["patient_named"] for i in measure.definition["items"]):
        activities = {a["item"]: a["activity"] for a in baseline.answers if a.get("activity")}
    try:
        return rules.score_response(measure.definition, answers, baseline_activities=activities)
    except rules.ScoringError as error:
        raise Unprocessable("The answers cannot be scored.", errors=error.errors) from error


def _answered_schedule(
    patient: Patient, measure: Measure, administration_id: uuid.UUID | None, day: date
) -> uuid.UUID | None:
    """The schedule whose administration the response answers: due by then, still open."""
    if administration_id is None:
        return None
    tz = ZoneInfo(patient.timezone)
    schedules = db.session.execute(
        sa.select(MeasureSchedule, Programme)
        .join(Programme, Programme.id == MeasureSchedule.programme_id)
        .where(
            MeasureSchedule.patient_id == patient.id,
            MeasureSchedule.measure_code == measure.code,
        )
    ).all()
    for schedule, programme in schedules:
        for due in queries.administrations_by(schedule, programme, tz, day):
            if due.id != administration_id:
                continue
            if not due.answerable_on(day):
                message = f"Answerable from {due.due} to {due.closes}, not on {day}."
                raise Unprocessable(INVALID, errors={"administration_id": [message]})
            if db.session.scalar(
                sa.select(MeasureResponse.id).where(
                    MeasureResponse.administration_id == administration_id
                )
            ):
                raise Conflict(ANSWERED)
            return schedule.id
    message = f"No administration of {measure.code} with this id is due by {day}."
    raise Unprocessable(INVALID, errors={"administration_id": [message]})


def _inserted(row: dict[str, Any]) -> bool:
    """Insert unless the id (or the administration) is taken meanwhile; True when inserted."""
    dialect = db.session.get_bind().dialect.name
    insert = record_store.dialect_insert(dialect)(MeasureResponse.__table__)
    statement = insert.values(**row).on_conflict_do_nothing().returning(MeasureResponse.id)
    return db.session.execute(statement).first() is not None


def _replayed(stored: MeasureResponse, patient: Patient, digest: str) -> dict[str, Any]:
    if stored.patient_id != patient.id or stored.body_digest != digest:
        raise Conflict(TAKEN, id=stored.id)
    return _view(stored, queries.measure_by_code(stored.measure_code))


def _lost_race(row: dict[str, Any], patient: Patient, digest: str) -> dict[str, Any]:
    """A concurrent request stored the same id, or answered the same administration, first."""
    stored = db.session.get(MeasureResponse, row["id"])
    if stored is None:
        raise Conflict(ANSWERED)
    return _replayed(stored, patient, digest)


def record_synced(actor: Actor | None, data: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """One ``measure_response`` item of a sync batch, as its result (``SyncResultOut``): stored
    as ``record_response`` stores a post, so a replay is a ``duplicate``; a bad item is
    ``invalid`` or ``conflict`` and leaves the batch's other items alone."""
    raw_id = data.get("id") if isinstance(data.get("id"), str) else None
    try:
        body = MeasureResponseIn().load(data)
        _, created = record_response(actor=actor, body=body, now=now)
    except ma.ValidationError as error:
        return {"id": raw_id, "status": "invalid", "errors": reader_messages(error.messages)}
    except Unprocessable as error:
        return {"id": raw_id, "status": "invalid", "errors": reader_messages(error.errors or {})}
    except Conflict:
        return {"id": raw_id, "status": "conflict"}
    return {"id": str(body["id"]), "status": "created" if created else "duplicate"}
