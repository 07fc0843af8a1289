"""Set-based persistence of patient records: id lookup across tables, conflict-safe bulk
inserts and bulk audit rows.
"""

from __future__ import annotations

import functools
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from server.access import Actor
from server.accounts.models import Patient
from server.audit import services as audit
from server.audit.models import AuditEvent
from server.clock import local_date_of
from server.database.any_of import uuid_array_text
from server.extensions import db
from server.prepared import execute_prepared
from server.tracking import bulk
from server.tracking.digests import body_digest
from server.tracking.models import (
    HeadacheEntry,
    PainRating,
    PostureBreak,
    SessionLog,
    SymptomCheck,
)
from server.tracking.rules import Candidate, Prescription, Stored, is_urgent

MODELS: dict[str, Any] = {
    "session_log": SessionLog,
    "pain_rating": PainRating,
    "headache_entry": HeadacheEntry,
    "posture_break": PostureBreak,
    "symptom_check": SymptomCheck,
}


class Owner(NamedTuple):
    """The ids of the patient whose records a batch stores, read from the ORM once, not once
    per row (each read of a mapped attribute is a descriptor call)."""

    id: uuid.UUID
    clinic_id: uuid.UUID


def row_of(
    kind: str,
    body: Mapping[str, Any],
    patient: Patient | Owner,
    tz: ZoneInfo,
    now: datetime,
    prescribed: Mapping[date, Prescription | None],
) -> dict[str, Any]:
    """Column values of a validated body: server times, local date, digest, kind fields."""
    recorded_at = body["recorded_at"].astimezone(UTC)
    row: dict[str, Any] = {
        "id": body["id"],
        "clinic_id": patient.clinic_id,
        "patient_id": patient.id,
        "recorded_at": recorded_at,
        "received_at": now,
        "local_date": local_date_of(recorded_at, tz),
        "body_digest": body_digest(kind, body),
    }
    if kind == "session_log":
        fields = {k: v for k, v in body.items() if k not in ("id", "recorded_at")}
        day = fields.pop("date")
        prescription = prescribed.get(day)
        fields["items"] = [{**item, "item_id": str(item["item_id"])} for item in fields["items"]]
        fields["programme_id"] = prescription.programme_id if prescription else None
        fields["revision_number"] = prescription.revision_number if prescription else None
        row["local_date"] = day
        row.update(fields)
        return row
    row.update(body)  # its id and instant are in place already: the instant made UTC again
    row["recorded_at"] = recorded_at
    if kind == "headache_entry":
        row["started_at"] = started_at = body["started_at"].astimezone(UTC)
        row["local_date"] = local_date_of(started_at, tz)
    elif kind == "symptom_check":
        row["urgent"] = is_urgent(body["answers"])
    return row


@functools.cache
def lookup_statement(dialect: str) -> sa.CompoundSelect:
    def by_id(kind: str, model: Any) -> sa.Select[Any]:
        label = sa.literal_column(f"'{kind}'").label("kind")  # a constant: compiled once
        stmt = sa.select(model.id, label, model.patient_id, model.body_digest)
        if dialect == "postgresql":
            wanted = bulk.ids_table("ids", model.id.type)
            return stmt.join_from(wanted, model, model.id == wanted.c.id)
        return stmt.where(model.id.in_(bulk.ids_document("ids")))

    return sa.union_all(*(by_id(kind, model) for kind, model in MODELS.items()))


def lookup(ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Stored]:
    """What every record table holds under these ids: one UNION ALL of primary-key lookups,
    its text the same for any number of ids."""
    if not ids:
        return {}
    connection = db.session.connection()
    dialect = connection.dialect.name
    wanted = list(set(ids))
    param = uuid_array_text(wanted) if dialect == "postgresql" else bulk.ids_json(wanted)
    rows = execute_prepared(connection, lookup_statement(dialect), {"ids": param})
    # Rows come as the driver gives them: SQLite's ids are hex strings.
    return {_as_uuid(row[0]): Stored(row[1], _as_uuid(row[2]), row[3]) for row in rows}


def _as_uuid(value: Any) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    text = value if isinstance(value, str) else bytes(value).hex()
    return uuid.UUID(text)


def dialect_insert(dialect: str) -> Any:
    """The dialect's ``insert`` (with ``on_conflict_do_nothing``)."""
    return pg_insert if dialect == "postgresql" else sqlite_insert


# Columns every row of a batch shares (bound once): its patient's and its request's.
SHARED_COLUMNS = ("clinic_id", "patient_id", "received_at")


def insert_new(
    fresh: Sequence[tuple[Candidate, dict[str, Any]]],
    patient: Patient,
    actor: Actor | None,
    now: datetime,
) -> set[uuid.UUID]:
    """SQLite: insert a batch's rows, one statement per kind (ids sorted, so concurrent batches
    lock in one order), and one audit row per record inserted in one more statement, every
    statement built before the first runs (the write lock is held from the first write).
    Returns the ids a concurrent transaction had already stored (not inserted here).
    PostgreSQL stores a batch in one statement (:mod:`server.tracking.batch`).
    """
    connection = db.session.connection()
    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for candidate, row in fresh:
        by_kind[candidate.kind].append(row)
    shared = audit_shared(patient, actor, now)
    inserts = []
    for kind in MODELS:
        if rows := sorted(by_kind.get(kind, []), key=lambda r: r["id"].int):
            inserts.append((rows, _prepare(connection, MODELS[kind].__table__, rows)))
    audited = [(c.kind, row["id"]) for c, row in fresh]
    audits = _audit_insert(audited, shared)
    lost: set[uuid.UUID] = set()
    for rows, insert in inserts:
        inserted = bulk.run(connection, insert)
        if len(inserted) < len(rows):  # ids are unique in a batch: equal counts, none lost
            lost |= {row["id"] for row in rows} - {_as_uuid(i) for i in inserted}
    if lost:
        audits = _audit_insert([(k, i) for k, i in audited if i not in lost], shared)
    if audits is not None:
        bulk.run(connection, audits)
    return lost


def _prepare(connection, table: sa.Table, rows) -> bulk.Insert:
    dialect = connection.dialect
    return bulk.prepare_insert(dialect, table, rows, shared=SHARED_COLUMNS, returning=True)


def load_row(kind: str, record_id: uuid.UUID) -> dict[str, Any]:
    """The stored column values of one record."""
    table = MODELS[kind].__table__
    row = db.session.execute(sa.select(table).where(table.c.id == record_id)).mappings().one()
    return dict(row)


def creation_audit(
    patient: Patient, kind: str, record_id: uuid.UUID, actor: Actor | None, now: datetime
) -> dict[str, object]:
    """The audit event of one new record (:func:`server.audit.services.row`; ``actor`` None is
    the system, e.g. demo data), written by the record's own statement
    (:mod:`server.tracking.one_record`) or with its batch (:func:`insert_new`)."""
    return audit.row(
        f"{kind}.create",
        actor=actor or audit.SystemActor(patient.clinic_id),
        patient_id=patient.id,
        target=(kind, record_id),
        now=now,
    )


# What a batch's audit events share: the request's instant, clinic, actor and patient.
AUDIT_SHARED = ("at", "clinic_id", "actor_id", "actor_role", "patient_id")


def audit_shared(patient: Patient, actor: Actor | None, now: datetime) -> dict[str, Any]:
    """The values of :data:`AUDIT_SHARED` for a batch: those of its records' creation events."""
    event = creation_audit(patient, "", None, actor, now)
    return {name: event[name] for name in AUDIT_SHARED}


def _audit_insert(
    created: Sequence[tuple[str, uuid.UUID]], shared: dict[str, Any]
) -> bulk.Insert | None:
    """SQLite: a batch's audit events, one per new record, as one statement (None for no
    records), their values as SQLite stores them."""
    if not created:
        return None
    ids = audit.time_ordered_ids(len(created), shared["at"])
    matrix = [
        [audit_id, f"{kind}.create", kind, str(record_id)]
        for audit_id, (kind, record_id) in zip(ids, created, strict=True)
    ]
    columns = ("id", "action", "object_type", "object_id")
    return bulk.prepare_stored(AuditEvent.__table__, columns, matrix, shared)
