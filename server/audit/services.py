"""Recording audit events inside the caller's transaction."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from server.access import Actor, scoped
from server.audit.models import AuditEvent
from server.clock import utcnow
from server.extensions import db
from server.pagination import paginate

SYSTEM_ROLE = "system"


def audit_row(
    *,
    actor: Actor | None,
    clinic_id: uuid.UUID,
    action: str,
    patient_id: uuid.UUID | None = None,
    object_type: str | None = None,
    object_id: uuid.UUID | str | None = None,
    now: datetime | None = None,
) -> dict[str, object]:
    """The columns of one audit event; ``actor=None`` means the system (a job). Ids only."""
    return {
        "id": uuid.uuid4(),
        "at": now or utcnow(),
        "clinic_id": clinic_id,
        "actor_id": actor.user_id if actor else None,
        "actor_role": actor.role if actor else SYSTEM_ROLE,
        "action": action,
        "patient_id": patient_id,
        "object_type": object_type,
        "object_id": str(object_id) if object_id is not None else None,
    }


def record_audit(**event: object) -> None:
    """Add one audit event (see :func:`audit_row`) to the session, written at flush."""
    db.session.add(AuditEvent(**audit_row(**event)))


def record_audits(actions: Iterable[str], **event: object) -> None:
    """:func:`record_audit` once per action, the rest of the event shared (one change that is
    several kinds of change, each with its own event)."""
    for action in actions:
        record_audit(action=action, **event)


@functools.cache
def _insert_statement() -> sa.Insert:
    return sa.insert(AuditEvent.__table__)


def write_audit(**event: object) -> None:
    """:func:`record_audit` written at once, in one Core INSERT (no ORM unit of work).

    For hot reads whose audit row is their last write; every row it names must already be in
    the database (it does not flush pending objects first).
    """
    db.session.execute(_insert_statement(), audit_row(**event))


def read_audited(
    statement: sa.Select[Any] | sa.CompoundSelect, params: dict[str, Any], **event: Any
) -> Sequence[sa.Row[Any]]:
    """The rows of a read, with the audit event of the request written in the same round trip
    where the database allows (PostgreSQL: a data-modifying CTE beside the read), else just
    after it with :func:`write_audit`.

    For a hot read whose audit row is its only write, run as the request's last query. The
    audit row is written even when the read finds nothing, exactly as with ``write_audit``.
    """
    row = audit_row(**event)
    if db.session.get_bind().dialect.name != "postgresql":
        rows = db.session.execute(statement, params).all()
        db.session.execute(_insert_statement(), row)
        return rows
    audited = {f"audit_{name}": value for name, value in row.items()}
    return db.session.execute(_with_audit_cte(statement), params | audited).all()


@functools.cache
def _with_audit_cte(statement: sa.Select[Any] | sa.CompoundSelect) -> Any:
    """``WITH audited AS (INSERT INTO audit_events SELECT :audit_…) <statement>``. Parameters
    are prefixed, and the insert selects its values, so the read's own parameters never leak
    into its columns.
    """
    table = AuditEvent.__table__
    names = [column.name for column in table.columns]
    values = sa.select(*(sa.bindparam(f"audit_{n}", type_=table.c[n].type) for n in names))
    return statement.add_cte(sa.insert(table).from_select(names, values).cte("audited"))


def write_audits(
    *,
    actor: Actor | None,
    clinic_id: uuid.UUID,
    action: str,
    object_type: str | None,
    patient_ids: Iterable[uuid.UUID],
    now: datetime | None = None,
    also: Iterable[dict[str, object]] = (),
) -> None:
    """One audit event per patient (``object_id`` = the patient), and the rows ``also`` names
    (from :func:`audit_row`), in one Core INSERT, at once.

    For reads that audit a whole page; like :func:`write_audit`, call it last.
    """
    at = now or utcnow()
    rows = [
        audit_row(
            actor=actor,
            clinic_id=clinic_id,
            action=action,
            patient_id=patient_id,
            object_type=object_type,
            object_id=patient_id,
            now=at,
        )
        for patient_id in patient_ids
    ]
    rows += also
    if rows:
        db.session.execute(_insert_statement(), rows)


def list_audit_events(
    *,
    actor: Actor,
    limit: int,
    cursor: str | None,
    patient_id: uuid.UUID | None = None,
    actor_id: uuid.UUID | None = None,
) -> tuple[list[AuditEvent], str | None]:
    """The actor's clinic's audit events, newest first, optionally for one patient or user."""
    stmt = scoped(AuditEvent, actor)
    if patient_id is not None:
        stmt = stmt.where(AuditEvent.patient_id == patient_id)
    if actor_id is not None:
        stmt = stmt.where(AuditEvent.actor_id == actor_id)
    return paginate(
        stmt,
        keys=[(AuditEvent.at, True), (AuditEvent.id, True)],
        key_of=lambda event: (event.at, event.id),
        limit=limit,
        cursor=cursor,
    )
