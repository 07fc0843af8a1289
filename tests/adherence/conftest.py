"""Helpers for adherence tests: ingest records through the services "as of" a given instant."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask

from server.accounts.models import Patient
from server.clock import local_date_of, local_to_utc
from server.extensions import db
from server.programmes.models import Programme, ProgrammeRevision
from server.tracking import services
from server.tracking.rules import TimeWindow


@pytest.fixture
def ingest(app: Flask) -> Callable[..., list[Any]]:
    """``ingest(patient, now, (kind, data), ...)``: store records as the phone would send them."""

    def run(patient: Any, now: datetime, *records: tuple[str, dict[str, Any]]) -> list[Any]:
        with app.app_context():
            row = db.session.get(Patient, patient.id)
            window = TimeWindow.at(now, local_date_of(now, ZoneInfo(row.timezone)))
            items = [services.validate_item(kind, data, window) for kind, data in records]
            assert all(item.body is not None for item in items), [i.errors for i in items]
            outcomes = services.store_items(patient=row, items=items, actor=None, now=now)
            db.session.commit()
            return [o.status for o in outcomes]

    return run


def session(day: date, slot: str, status: str, tz: ZoneInfo, hour: int = 20) -> tuple[str, dict]:
    """A session log sent at ``hour`` local time on ``day``."""
    sent = local_to_utc(day, time(hour, 0), tz)
    return (
        "session_log",
        {
            "id": str(uuid.uuid4()),
            "recorded_at": sent.isoformat(),
            "date": day.isoformat(),
            "slot": slot,
            "status": status,
        },
    )


def posture_break(at: datetime) -> tuple[str, dict]:
    return ("posture_break", {"id": str(uuid.uuid4()), "recorded_at": at.isoformat()})


def pain(at: datetime, score: int, context: str = "now") -> tuple[str, dict]:
    data = {"id": str(uuid.uuid4()), "recorded_at": at.isoformat(), "score": score}
    return ("pain_rating", {**data, "context": context})


@pytest.fixture
def add_revision(app: Flask) -> Callable[..., None]:
    """Append revision ``number`` to a programme, effective at ``effective_at``."""

    def add(
        programme: Any,
        number: int,
        *,
        schedule: dict[str, Any],
        posture_breaks: dict[str, Any],
        effective_at: datetime,
        kind: str = "revision",
    ) -> None:
        with app.app_context():
            row = db.session.get(Programme, programme.id)
            first = db.session.query(ProgrammeRevision).filter_by(programme_id=row.id).first()
            db.session.add(
                ProgrammeRevision(
                    programme_id=row.id,
                    clinic_id=row.clinic_id,
                    patient_id=row.patient_id,
                    number=number,
                    kind=kind,
                    items=first.items,
                    schedule=schedule,
                    posture_breaks=posture_breaks,
                    author_id=row.created_by,
                    reason="test",
                    effective_at=effective_at,
                )
            )
            row.current_revision = number
            db.session.commit()

    return add


@contextlib.contextmanager
def statements() -> Iterator[list[str]]:
    """Collect the SQL statements the current app's engine runs inside the block."""
    seen: list[str] = []

    def collect(_conn, _cursor, statement, *_args) -> None:
        if not statement.startswith("BEGIN"):
            seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", collect)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", collect)
