"""Storing patient records: single posts and offline sync batches, idempotent and race-safe.

Every record is stored under the client's UUID, on one path for one record or 500: validate →
the revisions in force on the logs' dates, loaded once, each log checked in memory → one lookup of
the ids in all record tables → classify (created, duplicate, conflict) → one ``INSERT … ON
CONFLICT DO NOTHING`` per kind (on PostgreSQL a batch's lookup, inserts and audit rows are one
statement, ``batch.py``) → one re-lookup for ids a concurrent request stored first → audit,
last activity, once per request; then the other domains react to
:class:`server.events.RecordsIngested` (red flags, the flag queue, reminders) in the transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import marshmallow as ma
from sqlalchemy.orm import lazyload

from server.access import Actor, get_scoped
from server.accounts.consents import require_processing_allowed
from server.accounts.models import Patient
from server.clock import local_date_of, utcnow
from server.database.transactions import wrote_nothing
from server.errors import Conflict, Unprocessable, reader_messages
from server.events import publish
from server.extensions import db
from server.tracking import prescriptions, rules, schemas, store, storing
from server.tracking.plugged import merged, plugged_items, store_plugged
from server.tracking.rules import CONFLICT, CREATED, DUPLICATE, INVALID, Candidate, Prescription

INPUTS: dict[str, ma.Schema] = {
    "session_log": schemas.SessionLogIn(),
    "pain_rating": schemas.PainRatingIn(),
    "headache_entry": schemas.HeadacheEntryIn(),
    "posture_break": schemas.PostureBreakIn(),
    "symptom_check": schemas.SymptomCheckIn(),
}
# Each kind's ``load``, quick when the body is clean (RecordIn is QuickLoad).
LOADS = {kind: schema.quick_load() for kind, schema in INPUTS.items()}
# Storing records needs the patient row only; the account (joined by default) is loaded on
# first use, i.e. for the guidance of a symptom check.
WITHOUT_USER = (lazyload(Patient.user),)


class Outcome(NamedTuple):
    """What happened to one submitted item; ``row`` holds the stored column values if valid.
    A named tuple, as :class:`Item`: immutable, made for each of a sync's 500 items at a third
    of a frozen dataclass's cost."""

    id: str | None
    status: str
    errors: dict[str, Any] | None = None
    kind: str | None = None
    row: dict[str, Any] | None = None


class Item(NamedTuple):
    """A validated item: a body, errors, or both (out of the time window: only a replay passes)."""

    kind: str | None
    body: Mapping[str, Any] | None
    errors: dict[str, Any] | None = None
    raw_id: str | None = None


def validate_item(kind: Any, data: Any, window: rules.TimeWindow) -> Item:
    """Validate one raw ``(kind, data)``: schema, then the accepted time window."""
    if kind not in INPUTS:
        unknown = {"kind": [f"Must be one of: {', '.join(rules.KINDS)}."]}
        return Item(None, None, unknown, _id_of(data))
    try:
        body = LOADS[kind](data)
    except ma.ValidationError as error:
        return Item(kind, None, error.normalized_messages(), _id_of(data))
    return Item(kind, body, window.errors(body) or None)


def _id_of(data: Any) -> str | None:
    """The id an invalid item was sent with, to name it in its result."""
    raw_id = data.get("id") if isinstance(data, Mapping) else None
    return raw_id if isinstance(raw_id, str) else None


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
    (:class:`prescriptions.PrescriptionChanged` otherwise).
    """
    tz = ZoneInfo(patient.timezone)
    logs = [i.body for i in items if i.kind == "session_log" and i.body and not i.errors]
    remembered = remembered and len(items) == 1
    days = [log["date"] for log in logs]
    prescribed = prescriptions.prescriptions(patient.id, days, tz, remembered=remembered)
    outcomes: list[Outcome] = []
    candidates: list[tuple[int, Candidate, dict[str, Any]]] = []
    refused: list[tuple[int, Candidate, dict[str, Any]]] = []
    owner = store.Owner(patient.id, patient.clinic_id)
    for index, (kind, body, errors, raw_id) in enumerate(items):
        if body is None:
            outcomes.append(Outcome(raw_id, INVALID, errors=errors, kind=kind))
            continue
        row = store.row_of(kind, body, owner, tz, now, prescribed)
        candidate = Candidate(row["id"], kind, row["body_digest"])
        if kind == "session_log" and not errors:
            errors = _prescription_errors(body, prescribed)
            in_force = prescribed.get(body["date"])
            if errors and in_force is not None and not in_force.complete:
                # Refused by the revision in force alone: judge it by every revision's items.
                prescribed = prescriptions.prescriptions(
                    patient.id, [body["date"]], tz, complete=True
                )
                errors = _prescription_errors(body, prescribed)
        if errors:
            refused.append((index, candidate, row))
            outcomes.append(Outcome(str(row["id"]), INVALID, errors, kind, row))
        else:
            candidates.append((index, candidate, row))
            outcomes.append(Outcome(str(row["id"]), CREATED, None, kind, row))
    if refused:
        _accept_replays(refused, outcomes, patient.id)
    if len(candidates) == 1:
        until = prescriptions.checked_until(prescribed, days, tz) if remembered else None
        statuses, done, ingested = storing.store_one(candidates, patient, actor, now, until)
    else:
        statuses, done, ingested = storing.store_candidates(candidates, patient, actor, now)
    for (index, candidate, row), status in zip(candidates, statuses, strict=True):
        if status != CREATED:  # a created one's outcome is already in place
            outcomes[index] = Outcome(outcomes[index].id, status, kind=candidate.kind, row=row)
    if ingested is None:  # some were not created as given: the event of those that were
        created = [(o.kind, o.row) for o in outcomes if o.status == CREATED]
        if created:
            ingested = rules.records_ingested(patient.id, patient.clinic_id, created, now)
    if ingested is not None:  # audit rows and last activity are written with the records
        publish(ingested, done=done)
    return outcomes


def _prescription_errors(
    log: Mapping[str, Any], prescribed: Mapping[date, Prescription | None]
) -> dict[str, list[str]]:
    """A session log's ``items`` errors against the revision in force on its date."""
    day = log["date"]
    return rules.session_log_errors(log["items"], log["slot"], day, prescribed.get(day))


def _accept_replays(refused, outcomes: list[Outcome], patient_id: uuid.UUID) -> None:
    """Refused items that replay a stored record exactly are duplicates, not errors: a retry
    stays safe after the record aged out of the time window or the programme changed under it.
    One lookup.
    """
    stored = store.lookup([candidate.id for _, candidate, _ in refused])
    for index, candidate, row in refused:
        if stored.get(candidate.id) == rules.Stored(candidate.kind, patient_id, candidate.digest):
            outcomes[index] = Outcome(str(candidate.id), DUPLICATE, kind=candidate.kind, row=row)


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
    window = rules.TimeWindow.at(now, local_date_of(now, ZoneInfo(patient.timezone)))
    item = Item(kind, body, window.errors(body) or None)
    try:
        (outcome,) = store_items(
            patient=patient, items=[item], actor=actor, now=now, remembered=True
        )
    except prescriptions.PrescriptionChanged:  # nothing was written; check it afresh
        prescriptions.forget_in_force(patient.id, body["date"], ZoneInfo(patient.timezone))
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
    window = rules.TimeWindow.at(now, local_date_of(now, ZoneInfo(patient.timezone)))
    # Kinds of the domains above go first, one by one: a sole write of tracking's must be last.
    validated, plugged = [], store_plugged(plugged_items(items), actor, now)
    for raw in (raw for i, raw in enumerate(items) if i not in plugged) if plugged else items:
        errors = rules.envelope_errors(raw)
        if errors:
            validated.append(Item(None, None, errors))
        else:
            validated.append(validate_item(raw["kind"], raw["data"], window))
    outcomes = store_items(patient=patient, items=validated, actor=actor, now=now)
    results = [
        {"id": o.id, "status": o.status}  # the usual result, without the call (500 a sync)
        if o.errors is None and o.kind != "symptom_check"
        else _sync_result(patient, o)
        for o in outcomes
    ]
    return merged(len(items), plugged, iter(results)) if plugged else results


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
