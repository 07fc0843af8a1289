"""PostgreSQL: a batch's records stored in ONE statement: the lookup of the batch's ids in the
record tables, each kind's insert of the rows whose id is free (``ON CONFLICT DO NOTHING`` for
a concurrent request's), one creation event per record inserted, the writes of the records'
event handlers that have a ``statement`` (the flag engine's queue mark, the reminders' replan
mark: see ``server/wiring.py``) when every record was inserted, and back only the ids that were
not inserted, with what was stored under them. One round trip instead of one per kind, the
lookup and each handler, and no row back for each record inserted.
"""

from __future__ import annotations

import functools
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from server.access import Actor
from server.accounts.models import Patient
from server.audit import services as audit
from server.db import UTCDateTime
from server.extensions import db
from server.prepared import execute_prepared
from server.tracking import bulk
from server.tracking.rules import Candidate, Stored
from server.tracking.store import MODELS, SHARED_COLUMNS, audit_shared


def insert_batch(
    fresh: Sequence[tuple[Candidate, dict[str, Any]]],
    patient: Patient,
    actor: Actor | None,
    now: datetime,
    follow_ups: tuple[Callable[[Any], Any], ...] = (),
    day: date | None = None,
) -> dict[uuid.UUID, Stored | None]:
    """Insert the rows of ``fresh`` (ids unique) whose id no record table holds, each kind's
    sorted by id (concurrent batches lock in one order), with their creation events. Returns
    each id not inserted with the record stored under it when the statement began, or None
    where a concurrent transaction stored it since (read it again to judge it).

    ``follow_ups``: the ``statement`` of each handler with work for the event of ``fresh``
    all inserted, fed the patient, clinic, ``now`` and ``day`` (the earliest the flag engine
    judges); written only if every row was inserted, i.e. when nothing comes back (otherwise
    the event differs: its handlers are left to it).
    """
    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for candidate, row in fresh:
        by_kind[candidate.kind].append(row)
    kinds, params = [], {}
    for kind, model in MODELS.items():
        if rows := sorted(by_kind.get(kind, []), key=lambda r: r["id"].int):
            table = model.__table__
            rows, columns = bulk.completed(table, rows, SHARED_COLUMNS)
            params[f"taken_{kind}"] = sum(len(by_kind[k]) for k, _ in kinds)  # earlier kinds'
            kinds.append((kind, columns))
            params |= bulk.postgresql_columns(table, columns, rows, f"rows_{kind}")
    first = fresh[0][1]
    params |= {f"shared_{name}": first[name] for name in SHARED_COLUMNS}
    shared = audit_shared(patient, actor, now)
    params |= audit.bound(shared) | audit.minted(len(fresh), shared["at"])
    if follow_ups:
        params |= {
            "due_patient_id": patient.id,
            "due_clinic_id": patient.clinic_id,
            "due_now": now,
            "due_day": day,
        }
    statement = _statement(tuple(kinds), follow_ups)
    result = execute_prepared(db.session.connection(), statement, params)
    return {
        row[0]: None if row[1] is None else Stored(row[1], row[2], row[3])
        for row in result.fetchall()
    }


@functools.cache
def _statement(
    kinds: tuple[tuple[str, tuple[str, ...]], ...],
    follow_ups: tuple[Callable[[Any], Any], ...] = (),
) -> Any:
    """The statement for a batch of these kinds, each with these columns (but the shared ones):
    ``WITH rows_<kind> AS (its columns), wanted AS (every id of the batch, as one array), held
    AS (what the record tables hold under them), inserted_<kind> AS (INSERT … WHERE its id is
    not held … ON CONFLICT DO NOTHING RETURNING id), audited_<kind> AS (INSERT INTO audit_events
    …) SELECT the rows not inserted, with what is held under their id``.

    Every table is searched once for the whole batch, by its primary key (``id = ANY`` of the
    array: one index descent an id, whatever the table's size; a join on the ids would be
    planned, for a prepared statement once for good, as a hash join that reads whole tables),
    as the statement began: what a kind's own table holds is not inserted (its insert's
    conflict check is left for a concurrent request's), and is what a lost id is judged by.
    Each of ``follow_ups`` selects its row (``:due_…``) only where no id was lost."""
    events, lost = [], []
    # MATERIALIZED: read once, even where one kind's events alone would have it inlined
    ids = audit.minted_ids().cte("minted").prefix_with("MATERIALIZED")
    rows = {}
    for kind, columns in kinds:
        records = bulk.postgresql_records(MODELS[kind].__table__, columns, f"rows_{kind}")
        rows[kind] = sa.select(*(records.c[name] for name in columns)).cte(f"rows_{kind}")
    every_id = sa.union_all(*(sa.select(batch.c.id) for batch in rows.values()))
    wanted = (
        sa.select(sa.func.array(every_id.scalar_subquery()).label("ids"))
        .cte("wanted")
        .prefix_with("MATERIALIZED")
    )
    held = _held(wanted).cte("held")
    for kind, columns in kinds:
        table, batch = MODELS[kind].__table__, rows[kind]
        free = sa.select(
            *(batch.c[name] for name in columns), *bulk.shared_binds(table, SHARED_COLUMNS)
        ).where(~sa.exists().where(held.c.id == batch.c.id))
        insert = postgresql.insert(table).from_select([*columns, *SHARED_COLUMNS], free)
        inserted = (
            insert.on_conflict_do_nothing(index_elements=[table.c.id])
            .returning(table.c.id)
            .cte(f"inserted_{kind}")
        )
        constants = (("action", f"{kind}.create"), ("object_type", kind))
        events.append(
            audit.insert_per_row(inserted, inserted.c.id, constants, (ids, f"taken_{kind}")).cte(
                f"audited_{kind}"
            )
        )
        lost.append(sa.select(batch.c.id).where(~sa.exists().where(inserted.c.id == batch.c.id)))
    unwritten = (lost[0] if len(lost) == 1 else sa.union_all(*lost)).cte("lost")
    statement = sa.select(
        unwritten.c.id, held.c.kind, held.c.patient_id, held.c.body_digest
    ).select_from(unwritten.outerjoin(held, held.c.id == unwritten.c.id))
    if follow_ups:
        due = sa.select(
            sa.bindparam("due_patient_id", type_=sa.Uuid()),
            sa.bindparam("due_clinic_id", type_=sa.Uuid()),
            sa.bindparam("due_now", type_=UTCDateTime()),
            sa.bindparam("due_day", type_=sa.Date()),
        ).where(~sa.exists(sa.select(unwritten.c.id)))
        for position, follow_up in enumerate(follow_ups):
            events.append(follow_up(due).cte(f"handled_{position}"))
    for cte in events:
        statement = statement.add_cte(cte)
    return statement


def _held(wanted: Any) -> Any:
    """What the record tables hold under the ids of ``wanted`` (one array): (id, kind,
    patient_id, body_digest), one primary-key probe an id a table."""
    return sa.union_all(
        *(
            sa.select(
                model.id,
                sa.literal_column(f"'{kind}'").label("kind"),  # a constant: compiled once
                model.patient_id,
                model.body_digest,
            ).join_from(wanted, model, model.id == sa.func.any(wanted.c.ids))
            for kind, model in MODELS.items()
        )
    )
