"""The patient list computes its summary set-based: a page of 50 costs what a page of 5 does."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from server.clock import utcnow
from server.extensions import db
from tests.accounts.helpers import add_pain_rating, add_patients_fast, add_session_log
from tests.factories import UserHandle


@contextmanager
def counting_statements(app: Flask) -> Iterator[list[str]]:
    """Collect every SQL statement the app's engine executes inside the block."""
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def test_listing_5_or_50_patients_runs_the_same_number_of_statements(
    app: Flask, client: FlaskClient, make_staff: Callable[..., UserHandle]
) -> None:
    therapist = make_staff()
    ids = add_patients_fast(app, therapist, 50)
    now = utcnow()

    class Handle:
        def __init__(self, patient_id: Any) -> None:
            self.id = patient_id

    for n, patient_id in enumerate(ids[:10]):
        add_pain_rating(app, Handle(patient_id), n % 10, now - timedelta(hours=n))
        add_session_log(app, Handle(patient_id), now - timedelta(days=1), pain_after=3)

    counts = {}
    for limit in (5, 50):
        with counting_statements(app) as statements:
            response = client.get(f"/api/v1/patients?limit={limit}", headers=therapist.headers)
        assert response.status_code == 200
        assert len(response.json["items"]) == limit
        counts[limit] = len(statements)
    assert counts[5] == counts[50]
    assert counts[50] <= 15, counts
