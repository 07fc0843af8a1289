"""Storing validated candidates: one record in one guarded statement, a batch set-based, and
what was not inserted judged against what is stored (duplicate or conflict)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm.attributes import set_committed_value

from server.access import Actor
from server.accounts.models import Patient
from server.events import Handler, RecordsIngested, handlers_for
from server.extensions import db
from server.tracking import batch, one_record, rules, store
from server.tracking.prescriptions import PrescriptionChanged
from server.tracking.rules import CONFLICT, CREATED, DUPLICATE

# Patient.last_activity_at is refreshed at most this often, to spare a write per record.
ACTIVITY_RESOLUTION = timedelta(minutes=1)


# What a store function returns: each candidate's status, the handlers whose writes it made, and
# the ingestion event of the records it created, when those are exactly the candidates it was
# given as new (else None: the caller builds the event of what was created).
StoreResult = tuple[list[str], list[Handler[Any]], RecordsIngested | None]


def store_one(
    candidates, patient: Patient, actor: Actor | None, now: datetime, until: datetime | None
) -> StoreResult:
    """One record: a single guarded insert that also writes its audit row and the patient's
    last activity, and a lookup only when it was not inserted. On PostgreSQL it is one
    statement, which also makes the writes of the event's handlers that have a ``statement``
    (the flag engine's queue mark); when no other handler has work for the record, it is the
    request's whole write. Returns :data:`StoreResult`. ``until``: see
    ``prescriptions.checked_until``; a log not stored for it raises PrescriptionChanged.
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
        return [CREATED], done, ingested
    if until is not None and not store.lookup([candidate.id]):  # its id is free: the revision
        raise PrescriptionChanged
    return _reclassify(candidates, [CREATED], {candidate.id}, patient.id), done, None


def _activity_stale(patient: Patient, now: datetime) -> bool:
    last = patient.last_activity_at
    return last is None or now - last >= ACTIVITY_RESOLUTION


def store_candidates(candidates, patient: Patient, actor: Actor | None, now) -> StoreResult:
    """Insert what is new with its audit rows and the patient's last activity;
    ``created``/``duplicate``/``conflict`` per candidate. PostgreSQL: one statement (lookup,
    inserts, audit rows and the writes of the event's handlers that have a ``statement``;
    :mod:`server.tracking.batch`), SQLite: one lookup, one insert per kind and one of audit
    rows; then one re-lookup for ids a concurrent request took first. Returns :data:`StoreResult`.
    """
    if not candidates:
        return [], [], None
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    # On PostgreSQL the lookup is the insert's own: here only ids repeated in the batch count.
    stored = {} if postgresql else store.lookup([c.id for _, c, _ in candidates])
    statuses = rules.classify([c for _, c, _ in candidates], stored, patient.id)
    fresh = [
        (c, row)
        for (_, c, row), status in zip(candidates, statuses, strict=True)
        if status == CREATED
    ]
    if not fresh:
        return statuses, [], None
    done: list[Handler[Any]] = []
    # The event of every fresh record stored: on PostgreSQL the handlers' writes are made with
    # them when none is lost, which the statement alone knows.
    event = rules.records_ingested(
        patient.id, patient.clinic_id, [(candidate.kind, row) for candidate, row in fresh], now
    )
    if postgresql:
        done = [h for h in handlers_for(event) if h.statement is not None]
        follow_ups = tuple(h.statement for h in done)
        day = min(event.days, default=None)
        seen = batch.insert_batch(fresh, patient, actor, now, follow_ups, day)
        lost = set(seen)
    else:
        seen, lost = {}, store.insert_new(fresh, patient, actor, now)
    if len(lost) < len(fresh) and _activity_stale(patient, now):
        patient.last_activity_at = now
    if not lost:
        return statuses, done, event
    return _reclassify(candidates, statuses, lost, patient.id, seen), [], None


def _reclassify(
    candidates,
    statuses: list[str],
    lost: set[uuid.UUID],
    patient_id,
    seen: Mapping[uuid.UUID, rules.Stored | None] | None = None,
) -> list[str]:
    """Judge every item whose id was not inserted against what is stored under it (nothing:
    conflict), repeats of the id in the batch included. ``seen``: what the insert itself saw
    stored under some of them (None: stored since by a concurrent request); the others are
    read again."""
    stored = {i: s for i, s in (seen or {}).items() if s is not None}
    if unseen := [i for i in lost if i not in stored]:
        stored |= store.lookup(unseen)
    updated = list(statuses)
    for position, (_, candidate, _) in enumerate(candidates):
        if candidate.id in lost:
            mine = rules.Stored(candidate.kind, patient_id, candidate.digest)
            updated[position] = DUPLICATE if stored.get(candidate.id) == mine else CONFLICT
    return updated
