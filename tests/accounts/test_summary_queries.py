"""The patient list computes its summary set-based: a page of 50 costs what a page of 5 does."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from server.accounts.models import Patient
from server.audit.jobs import spread_pages_job
from server.audit.models import AuditEvent, AuditPage
from server.audit.queries import trail
from server.clock import utcnow
from server.extensions import db
from server.overview.queries import summarise_patients
from server.tracking.models import PostureBreak
from tests.accounts.helpers import (
    add_headache,
    add_pain_rating,
    add_patients_fast,
    add_session_log,
)
from tests.factories import UserHandle


class Handle:
    """A patient as the record helpers take it: just the id."""

    def __init__(self, patient_id: Any) -> None:
        self.id = patient_id


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
        # The page's audit (an event per listed patient and one for the list): one INSERT, of
        # one row that the scheduler spreads.
        writes = [s for s in statements if s.lstrip().upper().startswith("INSERT")]
        assert len(writes) == 1, writes
    assert counts[5] == counts[50]
    assert counts[50] <= 15, counts
    expected = {"patient_summary": 55, "patient_list": 2}
    with app.app_context():
        assert _events_by_type(trail()) == expected  # in the trail before they are spread
        assert spread_pages_job() == 57
        assert _events_by_type(AuditEvent) == _events_by_type(trail()) == expected
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditPage)) == 0


def _events_by_type(events: type[AuditEvent]) -> dict[str | None, int]:
    counted = sa.select(events.object_type, sa.func.count()).group_by(events.object_type)
    return dict(db.session.execute(counted).all())


def test_last_activity_is_the_latest_record_of_any_kind_or_the_stored_time(
    app: Flask, make_staff: Callable[..., UserHandle]
) -> None:
    therapist = make_staff()
    synced, logged, idle = add_patients_fast(app, therapist, 3)
    now = utcnow().replace(microsecond=0)
    add_session_log(app, Handle(logged), now - timedelta(days=3), pain_after=2)
    add_pain_rating(app, Handle(logged), 4, now - timedelta(days=2))
    add_headache(app, Handle(logged), 5, now - timedelta(hours=30))
    add_pain_rating(app, Handle(synced), 4, now - timedelta(days=2))
    with app.app_context():
        posture = now - timedelta(hours=5)
        db.session.add(
            PostureBreak(
                id=uuid.uuid4(),
                patient_id=logged,
                recorded_at=posture,
                received_at=posture,
                local_date=posture.date(),
                clinic_id=therapist.clinic_id,
                body_digest="0" * 64,
            )
        )
        db.session.get(Patient, logged).last_activity_at = now - timedelta(days=1)
        db.session.get(Patient, synced).last_activity_at = now - timedelta(hours=1)
        db.session.commit()
        patients = db.session.scalars(
            sa.select(Patient).where(Patient.id.in_([synced, logged, idle]))
        )

        summaries = summarise_patients(patients.all(), now=now)
        latest = {patient_id: s.last_activity_at for patient_id, s in summaries.items()}

    assert latest == {synced: now - timedelta(hours=1), logged: posture, idle: None}
