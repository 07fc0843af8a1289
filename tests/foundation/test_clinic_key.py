"""Every table that holds a patient's or a user's data carries the clinic key, or reaches it
through a foreign key: what sharding by ``clinic_id`` (for example Citus distributed tables)
needs, checked against the models (the README's *Capacity*)."""

from __future__ import annotations

import sqlalchemy as sa

import server.models  # noqa: F401  (every model on the metadata)
from server.extensions import db

# Shared by every clinic: the key itself and the libraries (a reference table in Citus).
SHARED = {
    "clinics": "the clinic key itself",
    "measures": "the outcome-measure library (PROMs), the same for every clinic",
    "programme_templates": "the programme template library",
    "exercises": "the exercise library: global rows, or a clinic's own (clinic_id set)",
    "consent_texts": "the consent texts patients accept, the same for every clinic",
}
PEOPLE = {"patients", "users"}


def _tables() -> dict[str, sa.Table]:
    return dict(db.metadata.tables)


def _carries_key(table: sa.Table) -> bool:
    return "clinic_id" in table.c


def _parents(table: sa.Table) -> set[str]:
    return {fk.column.table.name for fk in table.foreign_keys if fk.column.table is not table}


def _reaches(name: str, wanted, tables: dict[str, sa.Table], seen: frozenset = frozenset()):
    """Whether ``name``, or a table it references (transitively), satisfies ``wanted``."""
    table = tables[name]
    if wanted(table):
        return True
    return any(
        _reaches(parent, wanted, tables, seen | {name})
        for parent in _parents(table)
        if parent not in seen
    )


def _person_scoped(name: str, tables: dict[str, sa.Table]) -> bool:
    return _reaches(name, lambda t: t.name in PEOPLE or "patient_id" in t.c, tables)


def test_every_table_holding_a_persons_data_reaches_the_clinic_key() -> None:
    tables = _tables()
    unkeyed = [
        name
        for name in sorted(tables)
        if name not in SHARED
        and _person_scoped(name, tables)
        and not _reaches(name, _carries_key, tables)
    ]
    assert unkeyed == [], f"tables with a person's data and no way to the clinic key: {unkeyed}"


def test_every_table_is_either_shared_or_keyed_by_clinic() -> None:
    """A new table must say which: listed in SHARED, or carrying (reaching) ``clinic_id``."""
    tables = _tables()
    neither = [
        name
        for name in sorted(tables)
        if name not in SHARED and not _reaches(name, _carries_key, tables)
    ]
    assert neither == [], f"add clinic_id (or a foreign key to a keyed table), or list: {neither}"


def test_patient_rows_carry_a_non_null_clinic_key_themselves() -> None:
    """Every table with a ``patient_id`` holds ``clinic_id`` in the row, NOT NULL: such a
    table can be distributed by clinic and co-located with its patient without a join."""
    missing = [
        name
        for name, table in sorted(_tables().items())
        if "patient_id" in table.c and ("clinic_id" not in table.c or table.c.clinic_id.nullable)
    ]
    assert missing == []


def test_only_the_token_tables_reach_the_key_through_a_parent() -> None:
    """The tables that would need ``clinic_id`` added (or stay on the coordinator) before a
    distribution by clinic: today only the login sessions, keyed through their user."""
    tables = _tables()
    through_parent = sorted(
        name for name, table in tables.items() if name not in SHARED and not _carries_key(table)
    )
    assert through_parent == ["refresh_tokens", "token_families"]
