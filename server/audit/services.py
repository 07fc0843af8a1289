"""The one way to audit: who read or changed which patient's data, and when.

- :func:`record` adds events to the unit of work, written at its flush with the change they
  describe (the rows they name may still be pending);
- :func:`read` writes the audit of a GET at once, in one INSERT that is the request's last
  write, optionally in the same round trip as the request's last read (:func:`read_each`: a
  page's, its patients given by key text, as one ``audit_pages`` row that the scheduler spreads,
  ``pages.py``);
- :func:`row` builds an event's column values. Beside the two above, it is used directly only by
  the statements that store patient records, which write a record's audit row themselves: the
  single-record statement (``tracking/one_record.py``, a data-modifying CTE built from
  :func:`insert_bound` on PostgreSQL) and a batch's rows (on PostgreSQL ``tracking/batch.py``:
  a CTE of :func:`insert_per_row` over the ids each kind's insert returns, in the batch's one
  statement; on SQLite ``tracking/store.py``); both take their ids from :func:`time_ordered_ids`.

Every event names who acted: the request's :class:`~server.access.Actor`, or a
:class:`SystemActor` that a job or an operator command builds for the clinic it works in.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from server.access import Actor
from server.audit.models import AuditEvent
from server.audit.pages import entry, insert_page, target_of, time_ordered_ids
from server.audit.queries import trail
from server.clock import utcnow
from server.database.any_of import key_of, uuid_text
from server.extensions import db
from server.pagination import paginate

SYSTEM_ROLE = "system"
# Bound parameters of an event written inside a larger statement (see insert_bound).
PREFIX = "audit_"


@dataclass(frozen=True)
class SystemActor:
    """A job or an operator command acting in a clinic: no user, role ``system``."""

    clinic_id: uuid.UUID
    user_id: None = None
    role: str = SYSTEM_ROLE


Acting = Actor | SystemActor
# What an event is about: ``(object_type, object_id)`` (the id may be None), or only an
# ``object_type`` when the object is the patient the event names (its id is the patient's).
Target = str | tuple[str, object] | None


def row(
    action: str,
    *,
    actor: Acting,
    patient_id: uuid.UUID | None = None,
    target: Target = None,
    now: datetime | None = None,
    clinic_id: uuid.UUID | None = None,
) -> dict[str, object]:
    """The columns of one event, identifiers only; its clinic is the actor's unless
    ``clinic_id`` names the clinic whose trail must hold it (a device moved away from another)."""
    if isinstance(target, str):
        object_type, object_id = target, patient_id
    else:
        object_type, object_id = target or (None, None)
    return {
        "id": uuid.uuid4(),
        "at": now or utcnow(),
        "clinic_id": clinic_id or actor.clinic_id,
        "actor_id": actor.user_id,
        "actor_role": actor.role,
        "action": action,
        "patient_id": patient_id,
        "object_type": object_type,
        "object_id": str(object_id) if object_id is not None else None,
    }


def record(
    actions: str | Iterable[str],
    *,
    actor: Acting,
    patient_id: uuid.UUID | None = None,
    target: Target = None,
    now: datetime | None = None,
    clinic_id: uuid.UUID | None = None,
) -> None:
    """Add one event per action (one change that is several kinds of change) to the session,
    written at its next flush with the change it describes."""
    for action in [actions] if isinstance(actions, str) else actions:
        event = row(
            action, actor=actor, patient_id=patient_id, target=target, now=now, clinic_id=clinic_id
        )
        db.session.add(AuditEvent(**event))


def read(
    action: str,
    *,
    actor: Acting,
    patient_id: uuid.UUID | None = None,
    target: Target = None,
    now: datetime | None = None,
    patient_ids: Iterable[uuid.UUID | None] | None = None,
    also: Iterable[dict[str, object]] = (),
    statement: sa.Select[Any] | sa.CompoundSelect | None = None,
    params: dict[str, Any] | None = None,
) -> Sequence[sa.Row[Any]]:
    """The audit of a read, written at once in one Core INSERT (no unit of work): one event, or
    one per patient of ``patient_ids`` (None: no patient) for a page, then the ``also`` rows
    (from :func:`row`). Returns the rows of ``statement``, if given (else none).

    For a GET, as its last write: on PostgreSQL a GET's first write commits by itself and any
    later one is refused, and on SQLite the write lock is held from it to the commit. Every row
    it names must already be in the database (pending objects are not flushed first). With
    ``statement``, that read runs in the same round trip where the database allows (PostgreSQL:
    a data-modifying CTE beside it), else just before the INSERT; the event is written even when
    the read finds nothing.
    """
    event = {"actor": actor, "target": target, "now": now or utcnow()}
    if patient_ids is not None:
        dialect = db.session.get_bind().dialect
        keys = [None if each is None else key_of(each, dialect) for each in patient_ids]
        read_each(action, keys=keys, also=also, **event)
        return []
    rows = [row(action, patient_id=patient_id, **event), *also]
    if statement is not None:
        (values,) = rows
        return _read_with(statement, params or {}, values)
    if len(rows) > 1:
        insert_page(rows[0], [entry(each, rows[0]) for each in rows])
    else:
        db.session.execute(_insert_statement(), rows)
    return []


def read_each(
    action: str,
    *,
    actor: Acting,
    keys: Sequence[str | None],
    target: str | tuple[str, object] | None,
    now: datetime,
    also: Iterable[dict[str, object]] = (),
) -> None:
    """:func:`read` of a page whose patients are given by key text (``database.any_of.id_text``,
    None: no patient): one event each, then the ``also`` rows (of the same actor and instant),
    in one ``audit_pages`` row (``pages.insert_page``)."""
    first = row(action, actor=actor, target=target, now=now)
    ids = time_ordered_ids(len(keys), now)
    if isinstance(target, str):
        entries = [
            [event_id, action, key, target, None if key is None else uuid_text(key)]
            for event_id, key in zip(ids, keys, strict=True)
        ]
    else:
        entries = [
            [event_id, action, key, *target_of(first)]
            for event_id, key in zip(ids, keys, strict=True)
        ]
    entries += [entry(each, first) for each in also]
    if entries:
        insert_page(first, entries)


@functools.cache
def insert_bound(select_from: Any = None) -> sa.Insert:
    """``INSERT INTO audit_events SELECT :audit_id, :audit_at, … [FROM select_from]``: one event
    written by a larger statement (a data-modifying CTE) or a prepared one, its values given by
    :func:`bound`; built once per ``select_from``. Prefixed parameters never meet the larger
    statement's own."""
    table = AuditEvent.__table__
    names = [column.name for column in table.columns]
    values = sa.select(*(sa.bindparam(PREFIX + n, type_=table.c[n].type) for n in names))
    if select_from is not None:
        values = values.select_from(select_from)
    return sa.insert(table).from_select(names, values)


@functools.cache
def insert_per_row(
    select_from: Any,
    object_id: Any,
    constants: tuple[tuple[str, str], ...],
    minted: tuple[Any, str],
) -> sa.Insert:
    """PostgreSQL: ``INSERT INTO audit_events SELECT ids[:taken + row_number()], :audit_at, …,
    CAST(object_id AS VARCHAR) FROM select_from, minted``: one event per row of ``select_from``
    (a batch's inserted records, as a data-modifying CTE), alike but for their id and object id;
    the other values given by :func:`bound` of one :func:`row`, but for ``constants`` (column,
    text), written in the statement (so that one statement may write several kinds' events).
    ``minted``: the CTE of :func:`minted_ids` and the name of the parameter saying how many of
    its ids the statement's earlier inserts took; each row takes the next. Built once per
    ``select_from``."""
    table = AuditEvent.__table__
    values = {c.name: sa.bindparam(PREFIX + c.name, type_=c.type) for c in table.c}
    for name, text in constants:
        if "'" in text:  # our own names (an action, a kind), never a client's text
            raise ValueError(f"not a constant: {text!r}")
        values[name] = sa.literal_column(f"'{text}'", table.c[name].type)
    ids, taken = minted
    number = sa.bindparam(taken, type_=sa.Integer) + sa.func.row_number().over()
    values["id"] = ids.c.ids[number]
    values["object_id"] = sa.cast(object_id, table.c.object_id.type)
    source = sa.select(*values.values()).select_from(select_from).join(ids, sa.true())
    return sa.insert(table).from_select(list(values), source)


def minted_ids() -> Any:
    """PostgreSQL: ``SELECT CAST(:audit_ids AS UUID[]) AS ids``: a batch's event ids, given as
    one array's text (:func:`minted`), for :func:`insert_per_row` (as a MATERIALIZED CTE, so
    that the text is parsed once, not once a row)."""
    array = sa.cast(
        sa.bindparam(PREFIX + "ids", type_=sa.types.NullType()), postgresql.ARRAY(sa.Uuid)
    )
    return sa.select(array.label("ids"))


def minted(count: int, at: datetime) -> dict[str, str]:
    """The parameter of :func:`minted_ids`: ``count`` ids of :func:`time_ordered_ids` (UUIDv7's
    layout: ``at``'s milliseconds, version 7, 74 random bits from one read of the OS's random
    source), so that a batch's events go to the end of the primary key's index; made here, not
    by ``gen_random_uuid()`` and a text round trip a row (2 µs an event in PostgreSQL)."""
    return {PREFIX + "ids": "{" + ",".join(time_ordered_ids(count, at)) + "}"}


def bound(values: dict[str, object]) -> dict[str, object]:
    """The parameters of :func:`insert_bound` for an event's :func:`row`."""
    return {PREFIX + name: value for name, value in values.items()}


@functools.cache
def _insert_statement() -> sa.Insert:
    return sa.insert(AuditEvent.__table__)


def _read_with(
    statement: sa.Select[Any] | sa.CompoundSelect, params: dict[str, Any], values: dict[str, Any]
) -> Sequence[sa.Row[Any]]:
    if db.session.get_bind().dialect.name != "postgresql":
        rows = db.session.execute(statement, params).all()
        db.session.execute(_insert_statement(), values)
        return rows
    return db.session.execute(_with_audit_cte(statement), params | bound(values)).all()


@functools.cache
def _with_audit_cte(statement: sa.Select[Any] | sa.CompoundSelect) -> Any:
    """``WITH audited AS (INSERT INTO audit_events SELECT :audit_…) <statement>``."""
    return statement.add_cte(insert_bound().cte("audited"))


def list_audit_events(
    *,
    actor: Actor,
    limit: int,
    cursor: str | None,
    patient_id: uuid.UUID | None = None,
    actor_id: uuid.UUID | None = None,
) -> tuple[list[AuditEvent], str | None]:
    """The actor's clinic's audit events, newest first, optionally for one patient or user;
    an erased patient's events stay (they hold ids only), with the erasure's own."""
    events = trail()
    stmt = sa.select(events).where(events.clinic_id == actor.clinic_id)
    if patient_id is not None:
        stmt = stmt.where(events.patient_id == patient_id)
    if actor_id is not None:
        stmt = stmt.where(events.actor_id == actor_id)
    return paginate(
        stmt,
        keys=[(events.at, True), (events.id, True)],
        key_of=lambda event: (event.at, event.id),
        limit=limit,
        cursor=cursor,
    )
