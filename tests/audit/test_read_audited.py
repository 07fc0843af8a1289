"""``audit.read`` with a statement: a read and its audit row in one round trip on PostgreSQL,
two on SQLite."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from flask import Flask

from server.audit import services as audit
from server.audit.models import AuditEvent
from server.database.transactions import READ, begin_request
from server.extensions import db
from tests.factories import UserHandle


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


@pytest.mark.parametrize("matches", [True, False], ids=["rows", "no rows"])
def test_the_rows_come_back_and_exactly_one_audit_row_is_written(
    app_ctx: Flask, make_staff, matches: bool
) -> None:
    staff: UserHandle = make_staff()
    begin_request(db.session, READ)
    named = staff.clinic_id if matches else uuid.uuid4()
    clinic = sa.bindparam("clinic", type_=sa.Uuid())
    statement = sa.select(sa.literal(7)).where(clinic == sa.literal(named, sa.Uuid()))

    rows = audit.read(
        "t.r",
        actor=audit.SystemActor(staff.clinic_id),
        statement=statement,
        params={"clinic": staff.clinic_id},
    )
    db.session.commit()

    assert [tuple(row) for row in rows] == ([(7,)] if matches else [])
    assert len(_events("t.r")) == 1


def test_the_reads_parameters_never_reach_the_audit_row(app_ctx: Flask, make_staff) -> None:
    """A read parameter named like an audit column (``patient_id``) must not be taken for it."""
    staff: UserHandle = make_staff()
    audited_patient, read_patient = uuid.uuid4(), uuid.uuid4()
    statement = sa.select(AuditEvent.id).where(
        AuditEvent.patient_id == sa.bindparam("patient_id", type_=sa.Uuid())
    )

    audit.read(
        "t.params",
        actor=audit.SystemActor(staff.clinic_id),
        target=("patient", audited_patient),
        statement=statement,
        params={"patient_id": read_patient},
    )
    db.session.commit()

    (event,) = _events("t.params")
    assert event.patient_id is None
    assert event.object_id == str(audited_patient)
