"""Storing patient records: single posts and offline sync batches, idempotent and race-safe.

Every record is stored under the client's UUID, on one path for one record or 500: validate →
the revisions in force on the logs' dates, loaded once, each log checked in memory → one lookup of
the ids in all record tables → classify (created, duplicate, conflict) → one ``INSERT … ON
CONFLICT DO NOTHING`` per kind → one re-lookup for ids a concurrent request stored first → audit,
last activity, once per request; then the other domains react to
:class:`server.events.RecordsIngested` (red flags, the flag queue, reminders) in the transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import marshmallow as ma
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.attributes import set_committed_value

from server.access import Actor, get_scoped
from server.accounts.consents import require_processing_allowed
from server.accounts.models import Patient
from server.clock import day_bounds_utc, local_date_of, utcnow
from server.database.transactions import wrote_nothing
from server.errors import Conflict, Unprocessable, reader_messages
from server.events import Handler, handlers_for, publish
from server.extensions import db
from server.tracking import one_record, rules, schemas, store
from server.tracking.plugged import merged, plugged_items, store_plugged
from server.tracking.rules import CONFLICT, CREATED, DUPLICATE, INVALID, Candidate, Prescription

INPUTS: dict[str, ma.Schema] = {
    "session_log": schemas.SessionLogIn(),
    "pain_rating": schemas.PainRatingIn(),
    "headache_entry": schemas.HeadacheEntryIn(),
    "posture_break": schemas.PostureBreakIn(),
    "symptom_check": schemas.SymptomCheckIn(),
}
# Storing records needs the patient row only; the account (joined by default) is loaded on
# first use, i.e. for the guidance of a symptom check.
WITHOUT_USER = (lazyload(Patient.user),)
# Patient.last_activity_at is refreshed at most this often, to spare a write per record.
ACTIVITY_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class Outcome:
    """What happened to one submitted item; ``row`` holds the stored column values if valid."""

    id: str | None
    status: str
    errors: dict[str, Any] | None = None
    kind: str | None = None
    row: dict[str, Any] | None = None


@dataclass(frozen=True)
class Item:
    """A validated item: a body, errors, or both (out of the time window: only a replay passes)."""

    kind: str | None
    body: Mapping[str, Any] | None
    errors: dict[str, Any] | None = None
    raw_id: str | None = None


def validate_item(kind: Any, data: Any, now: datetime, today: date) -> Item:
    """Validate one raw ``(kind, data)``: schema, then the accepted time window."""
    raw_id = data.get("id") if isinstance(data, Mapping) else None
    raw_id = raw_id if isinstance(raw_id, str) else None
    if kind not in INPUTS:
        return Item(None, None, {"kind": [f"Must be one of: {', '.join(rules.KINDS)}."]}, raw_id)
    try:
        body = INPUTS[kind].load(data)  # quick when clean (RecordIn is QuickLoad)
    except ma.ValidationError as error:
        return Item(kind, None, error.normalized_messages(), raw_id)
    return window_checked(kind, body, now, today)


def window_checked(kind: str, body: Mapping[str, Any], now: datetime, today: date) -> Item:
    """A schema-valid body as an item, with its errors if it falls outside the accepted time
    window (then refused unless it replays a stored record, see :func:`store_items`)."""
    return Item(kind, body, rules.time_window_errors(body, now, local_today=today) or None)


def store_items(
    *,
    patient: Patient,
    items: Sequence[Item],
    actor: Actor | None,
    now: datetime,
    remembered: bool = False,
) -> list[Outcome]:
    """Store validated items; one outcome per item, in order, in a fixed number of queries.

    Invalid items are reported and skipped, never spoiling the others. A body outside the time
    window, or a session log whose items are not prescribed for its slot that day, is invalid
    unless it replays a stored record: a retry stays safe after the window or programme moved.

    ``remembered`` (a single item): its session log may be checked against the revision this
    worker remembers for its date, and is then stored only while that is still in force
    (:class:`store.PrescriptionChanged` otherwise).
    """
    tz = ZoneInfo(patient.timezone)
    logs = [i.body for i in items if i.kind == "session_log" and i.body and not i.errors]
    remembered = remembered and len(items) == 1
    days = [log["date"] for log in logs]
    prescribed = store.prescriptions(patient.id, days, tz, remembered=remembered)
    outcomes: list[Outcome] = []
    candidates: list[tuple[int, Candidate, dict[str, Any]]] = []
    refused: list[tuple[int, Candidate, dict[str, Any]]] = []
    for index, item in enumerate(items):
        if item.body is None:
            outcomes.append(Outcome(item.raw_id, INVALID, errors=item.errors, kind=item.kind))
            continue
        row = store.row_of(item.kind, item.body, patient, tz, now, prescribed)
        candidate = Candidate(row["id"], item.kind, row["body_digest"])
        errors = item.errors or _prescription_errors(item, prescribed)
        in_force = prescribed.get(item.body["date"]) if item.kind == "session_log" else None
        if errors and not item.errors and in_force is not None and not in_force.complete:
            # Refused by the revision in force alone: judge it by every revision's items.
            prescribed = store.prescriptions(patient.id, [item.body["date"]], tz, complete=True)
            errors = _prescription_errors(item, prescribed)
        (refused if errors else candidates).append((index, candidate, row))
        status = INVALID if errors else CREATED
        outcomes.append(Outcome(str(row["id"]), status, errors or None, item.kind, row))
    if refused:
        _accept_replays(refused, outcomes, patient.id)
    done: list[Handler[Any]] = []
    if len(candidates) == 1:
        until = _checked_until(prescribed, days, tz) if remembered else None
        statuses, done = _store_one(candidates, patient, actor, now, until)
    else:
        statuses = _store_candidates(candidates, patient, actor, now)
    for (index, candidate, row), status in zip(candidates, statuses, strict=True):
        if status != CREATED:  # a created one's outcome is already in place
            outcomes[index] = Outcome(outcomes[index].id, status, kind=candidate.kind, row=row)
    created = [(o.kind, o.row) for o in outcomes if o.status == CREATED]
    if created:  # audit rows and last activity are written with the records
        publish(rules.records_ingested(patient.id, patient.clinic_id, created, now), done=done)
    return outcomes


def _checked_until(
    prescribed: Mapping[date, Prescription | None], days: Sequence[date], tz: ZoneInfo
) -> datetime | None:
    """The end of a lone session log's date when it was checked against a remembered revision
    (one not ``complete``), which must then still be in force as it is stored."""
    if len(days) != 1 or (found := prescribed.get(days[0])) is None or found.complete:
        return None
    return day_bounds_utc(days[0], tz)[1]


def _prescription_errors(
    item: Item, prescribed: Mapping[date, Prescription | None]
) -> dict[str, list[str]]:
    """A session log's ``items`` errors against the revision in force on its date."""
    if item.kind != "session_log":
        return {}
    day = item.body["date"]
    return rules.session_log_errors(item.body["items"], item.body["slot"], day, prescribed.get(day))


def _accept_replays(refused, outcomes: list[Outcome], patient_id: uuid.UUID) -> None:
    """Refused items that replay a stored record exactly are duplicates, not errors: a retry
    stays safe after the record aged out of the time window or the programme changed under it.
    One lookup.
    """
    stored = store.lookup([candidate.id for _, candidate, _ in refused])
    for index, candidate, row in refused:
        if stored.get(candidate.id) == rules.Stored(candidate.kind, patient_id, candidate.digest):
            outcomes[index] = Outcome(str(candidate.id), DUPLICATE, kind=candidate.kind, row=row)


def _store_one(
    candidates, patient: Patient, actor: Actor | None, now: datetime, until: datetime | None
) -> tuple[list[str], list[Handler[Any]]]:
    """One record: a single guarded insert that also writes its audit row and the patient's
    last activity, and a lookup only when it was not inserted. On PostgreSQL it is one
    statement, which also makes the writes of the event's handlers that have a ``statement``
    (the flag engine's queue mark); when no other handler has work for the record, it is the
    request's whole write. Returns the statuses and the handlers it did. ``until``: see
    :func:`_checked_until`; a log not stored for it raises :class:`store.PrescriptionChanged`.
    """
    ((_, candidate, row),) = candidates
    event = store.creation_audit(patient, candidate.kind, candidate.id, actor, now)
    touch = now if _activity_stale(patient, now) else None
    ingested = rules.records_ingested(patient.id, patient.clinic_id, [(candidate.kind, row)], now)
    handlers = handlers_for(ingested)
    inserted, done = one_record.insert_one(
        candidate.kind,
        row,
        event=event,
        touch=touch,
        handlers=handlers,
        now=now,
        in_force_until=until,
    )
    if inserted:
        if touch is not None:
            set_committed_value(patient, "last_activity_at", touch)  # written with the record
        return [CREATED], done
    if until is not None and not store.lookup([candidate.id]):  # its id is free: the revision
        raise store.PrescriptionChanged
    return _reclassify(candidates, [CREATED], {candidate.id}, patient.id), done


def _activity_stale(patient: Patient, now: datetime) -> bool:
    last = patient.last_activity_at
    return last is None or now - last >= ACTIVITY_RESOLUTION


def _store_candidates(candidates, patient: Patient, actor: Actor | None, now) -> list[str]:
    """Insert what is new with its audit rows and the patient's last activity;
    ``created``/``duplicate``/``conflict`` per candidate: one lookup, one insert per kind and
    one of audit rows, one re-lookup for ids a concurrent request took first.
    """
    if not candidates:
        return []
    stored = store.lookup([c.id for _, c, _ in candidates])
    statuses = rules.classify([c for _, c, _ in candidates], stored, patient.id)
    fresh = [
        (c, row)
        for (_, c, row), status in zip(candidates, statuses, strict=True)
        if status == CREATED
    ]
    if not fresh:
        return statuses
    lost = store.insert_new(fresh, patient, actor, now)
    if len(lost) < len(fresh) and _activity_stale(patient, now):
        patient.last_activity_at = now
    return _reclassify(candidates, statuses, lost, patient.id) if lost else statuses


def _reclassify(candidates, statuses: list[str], lost: set[uuid.UUID], patient_id) -> list[str]:
    """Judge ids that were not inserted against what is stored under them (nothing: conflict)."""
    stored = store.lookup(list(lost))
    updated = list(statuses)
    for position, (_, candidate, _) in enumerate(candidates):
        if candidate.id in lost and statuses[position] == CREATED:
            mine = rules.Stored(candidate.kind, patient_id, candidate.digest)
            updated[position] = DUPLICATE if stored.get(candidate.id) == mine else CONFLICT
    return updated


def guidance_for(patient: Patient, urgent: bool) -> str:
    """The symptom-check guidance for this patient (language, clinic emergency number)."""
    return rules.symptom_guidance(urgent, patient.language, patient.user.clinic.emergency_number)


def record_one(
    *,
    patient: Patient,
    kind: str,
    body: Mapping[str, Any],
    actor: Actor | None,
    now: datetime | None = None,
) -> tuple[dict[str, Any], bool]:
    """Store one schema-validated record: (stored body, True) when created, (…, False) on a
    replay. 422 outside the accepted time window or for session items not prescribed for
    that slot and date; 409 when the id holds another record.
    """
    now = (now or utcnow()).astimezone(UTC)
    today = local_date_of(now, ZoneInfo(patient.timezone))
    item = window_checked(kind, body, now, today)
    try:
        (outcome,) = store_items(
            patient=patient, items=[item], actor=actor, now=now, remembered=True
        )
    except store.PrescriptionChanged:  # nothing was written; check it afresh
        store.forget_in_force(patient.id, body["date"], ZoneInfo(patient.timezone))
        wrote_nothing(db.session)
        (outcome,) = store_items(patient=patient, items=[item], actor=actor, now=now)
    if outcome.status == INVALID:
        if item.errors:
            raise Unprocessable(
                "The record is outside the accepted time window.", errors=outcome.errors
            )
        raise Unprocessable("The session does not match the prescription.", errors=outcome.errors)
    if outcome.status == CONFLICT:
        raise Conflict("This id already holds a different record.", id=outcome.id)
    row = outcome.row if outcome.status == CREATED else store.load_row(kind, body["id"])
    if kind == "symptom_check":
        row = {**row, "guidance": guidance_for(patient, row["urgent"])}
    return row, outcome.status == CREATED


def sync(
    *, patient: Patient, items: Sequence[Any], actor: Actor | None, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Store a sync batch; one result per item, in order, never failing the whole batch."""
    now = (now or utcnow()).astimezone(UTC)
    today = local_date_of(now, ZoneInfo(patient.timezone))
    # Kinds of the domains above go first, one by one: a sole write of tracking's must be last.
    validated, plugged = [], store_plugged(plugged_items(items), actor, now)
    for raw in (raw for i, raw in enumerate(items) if i not in plugged):
        errors = rules.envelope_errors(raw)
        if errors:
            validated.append(Item(None, None, errors))
        else:
            validated.append(validate_item(raw["kind"], raw["data"], now, today))
    outcomes = store_items(patient=patient, items=validated, actor=actor, now=now)
    results = (_sync_result(patient, outcome) for outcome in outcomes)
    return merged(len(items), plugged, results)


def _sync_result(patient: Patient, outcome: Outcome) -> dict[str, Any]:
    result: dict[str, Any] = {"id": outcome.id, "status": outcome.status}
    if outcome.errors:
        result["errors"] = reader_messages(outcome.errors)  # as a 422 would, per Accept-Language
    if outcome.kind == "symptom_check" and outcome.status in (CREATED, DUPLICATE):
        urgent = outcome.row["urgent"]
        result.update(urgent=urgent, guidance=guidance_for(patient, urgent))
    return result


def patient_of(actor: Actor) -> Patient:
    """The acting patient, to store records: 404 without one, 409 while consent is withdrawn."""
    patient = get_scoped(Patient, actor.user_id, actor, options=WITHOUT_USER)
    require_processing_allowed(patient)
    return patient
