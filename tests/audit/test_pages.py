"""A page read's audit events: one row as its GET writes them, in the trail at once, then spread
by the scheduler into one ``audit_events`` row each, every event exactly once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from server.audit.jobs import spread_pages_job
from server.audit.models import AuditEvent, AuditPage
from server.audit.pages import _spread_statement
from server.audit.queries import trail
from server.clock import utcnow
from server.extensions import db
from server.metrics_backlog import read_backlogs
from tests.accounts.helpers import add_patients_fast
from tests.factories import UserHandle

LISTED = 7  # patients; a page read is their events and the page's own


def _read_pages(client: FlaskClient, therapist: UserHandle, pages: int) -> None:
    for _ in range(pages):
        response = client.get("/api/v1/patients?limit=50", headers=therapist.headers)
        assert response.status_code == 200
        assert len(response.json["items"]) == LISTED


def _list_events(events: Any) -> list[tuple[Any, ...]]:
    """Every ``patient.list`` event of ``events`` (the trail or the table), all columns."""
    columns = [getattr(events, c.key) for c in AuditEvent.__table__.columns]
    chosen = sa.select(*columns).where(events.action == "patient.list").order_by(events.id)
    return [tuple(row) for row in db.session.execute(chosen)]


def _waiting_pages() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditPage)) or 0


def test_spreading_leaves_the_trail_as_it_was(
    app: Flask, client: FlaskClient, make_staff: Callable[..., UserHandle]
) -> None:
    therapist = make_staff()
    add_patients_fast(app, therapist, LISTED)
    _read_pages(client, therapist, 3)
    with app.app_context():
        before = _list_events(trail())
        assert len(before) == len({row[0] for row in before}) == 3 * (LISTED + 1)
        assert _list_events(AuditEvent) == []  # none spread yet
        assert _waiting_pages() == read_backlogs(utcnow())["audit_pages_waiting"] == 3
        assert spread_pages_job(batch=2) == 3 * (LISTED + 1)  # two batches
        assert _list_events(AuditEvent) == _list_events(trail()) == before
        assert _waiting_pages() == read_backlogs(utcnow())["audit_pages_waiting"] == 0
        assert spread_pages_job() == 0


def test_two_spreaders_never_move_a_page_twice(
    backend: str, app: Flask, client: FlaskClient, make_staff: Callable[..., UserHandle]
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite has one writer: a second spreader waits, then finds the pages gone")
    therapist = make_staff()
    add_patients_fast(app, therapist, LISTED)
    _read_pages(client, therapist, 4)
    with app.app_context():
        with db.engine.connect() as other:
            # Another scheduler has moved two pages and not committed yet: this one skips them.
            held = other.execute(_spread_statement("postgresql"), {"batch": 2}).rowcount
            assert held == 2 * (LISTED + 1)
            assert spread_pages_job() == 2 * (LISTED + 1)
            other.commit()
        spread = _list_events(AuditEvent)
        assert len(spread) == len({row[0] for row in spread}) == 4 * (LISTED + 1)
        assert _list_events(trail()) == spread
        assert _waiting_pages() == 0
