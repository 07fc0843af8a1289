"""PostgreSQL: a batch's records stored in ONE statement: the lookup of each kind's ids in the
other record tables, each kind's insert of the rows whose id is free (``ON CONFLICT DO NOTHING``
for its own table's, and a concurrent request's), one creation event per record inserted, and
back only the ids that were not inserted, with what was stored under them. One round trip
instead of one per kind and the lookup, and no row back for each record inserted.
"""

from __future__ import annotations

import functools
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from server.access import Actor
from server.accounts.models import Patient
from server.audit import services as audit
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
) -> dict[uuid.UUID, Stored | None]:
    """Insert the rows of ``fresh`` (ids unique) whose id no record table holds, each kind's
    sorted by id (concurrent batches lock in one order), with their creation events. Returns
    each id not inserted with the record stored under it when the statement began, or None
    where a concurrent transaction stored it since (read it again to judge it).
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
    result = execute_prepared(db.session.connection(), _statement(tuple(kinds)), params)
    return {
        row[0]: None if row[1] is None else Stored(row[1], row[2], row[3])
        for row in result.fetchall()
    }


@functools.cache
def _statement(kinds: tuple[tuple[str, tuple[str, ...]], ...]) -> Any:
    """The statement for a batch of these kinds, each with these columns (but the shared ones):
    ``WITH rows_<kind> AS (its columns), elsewhere_<kind> AS (what the OTHER record tables hold
    under its ids), inserted_<kind> AS (INSERT … WHERE NOT EXISTS elsewhere … ON CONFLICT DO
    NOTHING RETURNING id), audited_<kind> AS (INSERT INTO audit_events …) SELECT each kind's
    rows not inserted, with what is stored under their id``.

    A kind's own table is not searched for its ids beforehand: its insert's conflict check
    probes them anyway, and only the ids it did not insert are read from it afterwards (as the
    statement began, as the other tables are)."""
    events, unwritten = [], []
    # MATERIALIZED: read once, even where one kind's events alone would have it inlined
    ids = audit.minted_ids().cte("minted").prefix_with("MATERIALIZED")
    for kind, columns in kinds:
        table = MODELS[kind].__table__
        records = bulk.postgresql_records(table, columns, f"rows_{kind}")
        rows = sa.select(*(records.c[name] for name in columns)).cte(f"rows_{kind}")
        elsewhere = _held(rows, [k for k in MODELS if k != kind]).cte(f"elsewhere_{kind}")
        free = sa.select(
            *(rows.c[name] for name in columns), *bulk.shared_binds(table, SHARED_COLUMNS)
        ).where(~sa.exists().where(elsewhere.c.id == rows.c.id))
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
        lost = (
            sa.select(rows.c.id)
            .where(~sa.exists().where(inserted.c.id == rows.c.id))
            .cte(f"lost_{kind}")
        )
        seen = sa.select(*elsewhere.c).join_from(lost, elsewhere, elsewhere.c.id == lost.c.id)
        stored = sa.union_all(_held(lost, [kind]), seen).subquery()
        unwritten.append(
            sa.select(
                lost.c.id, stored.c.kind, stored.c.patient_id, stored.c.body_digest
            ).select_from(lost.outerjoin(stored, stored.c.id == lost.c.id))
        )
    statement = unwritten[0] if len(unwritten) == 1 else sa.union_all(*unwritten)
    for cte in events:
        statement = statement.add_cte(cte)
    return statement


def _held(ids: Any, kinds: list[str]) -> Any:
    """What the record tables of ``kinds`` hold under the ids of ``ids``: (id, kind, patient_id,
    body_digest), one primary-key probe an id a table."""
    return sa.union_all(
        *(
            sa.select(
                MODELS[kind].id,
                sa.literal_column(f"'{kind}'").label("kind"),  # a constant: compiled once
                MODELS[kind].patient_id,
                MODELS[kind].body_digest,
            ).join_from(ids, MODELS[kind], MODELS[kind].id == ids.c.id)
            for kind in kinds
        )
    )
