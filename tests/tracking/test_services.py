"""Ingest services called directly: a fixed number of statements whatever the batch size, and
the time window judged against the ``now`` the caller passes (late sync, demo history).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from server.accounts.models import Patient
from server.errors import Conflict, Unprocessable
from server.extensions import db
from server.tracking import services
from server.tracking.models import PainRating
from tests.adherence.conftest import statements
from tests.conftest import count
from tests.tracking.conftest import BODIES

NOW = datetime(2026, 4, 10, 12, 0, tzinfo=UTC)


def _items(n: int) -> list[dict]:
    kinds = list(BODIES)
    return [{"kind": kinds[i % 4], "data": BODIES[kinds[i % 4]]()} for i in range(n)]


def test_sync_runs_the_same_statements_for_10_or_300_items(app_ctx, patient) -> None:
    row = db.session.get(Patient, patient.id)
    services.sync(patient=row, items=_items(4), actor=None)  # warm up (last activity, state)
    db.session.flush()  # its last activity, as a request's commit would
    counts = []
    for size in (10, 300):
        with statements() as seen:
            results = services.sync(patient=row, items=_items(size), actor=None)
        assert {r["status"] for r in results} == {"created"}
        counts.append(len(seen))
    assert counts[0] == counts[1]


def test_a_batch_writes_one_creation_event_per_record_it_stores(app_ctx, patient) -> None:
    from server.audit.models import AuditEvent

    row = db.session.get(Patient, patient.id)
    items = _items(12)
    items.append(items[0])  # a replay inside the batch: stored once, one event
    results = services.sync(patient=row, items=items, actor=None, now=datetime.now(UTC))
    assert [r["status"] for r in results].count("created") == 12
    again = services.sync(patient=row, items=items[:5], actor=None)
    assert {r["status"] for r in again} == {"duplicate"}
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action.like("%.create"))
    ).all()
    by_record = {e.object_id: e for e in events}
    assert len(events) == len(by_record) == 12
    assert set(by_record) == {item["data"]["id"] for item in items}
    for item in items:
        event = by_record[item["data"]["id"]]
        assert (event.action, event.object_type) == (f"{item['kind']}.create", item["kind"])
        assert (event.clinic_id, event.patient_id) == (row.clinic_id, row.id)
        assert (event.actor_id, event.actor_role) == (None, "system")
    assert len({e.id for e in events}) == 12
    assert {(e.id.version, e.id.variant) for e in events} == {(7, uuid.RFC_4122)}
    assert {e.id.int >> 80 for e in events} == {int(events[0].at.timestamp() * 1000)}
    assert len({e.at for e in events}) == 1


def test_a_batch_judges_each_id_by_what_any_record_table_holds(
    app_ctx, patient, make_patient
) -> None:
    """Every id of a batch is judged against every record table and every patient: another
    kind's id or another patient's is a conflict, the same body a duplicate, each repeat in
    the batch judged as its first; only what is created is written and audited."""
    from server.audit.models import AuditEvent
    from tests.tracking.conftest import headache_body, pain_body, posture_body

    row = db.session.get(Patient, patient.id)
    other = db.session.get(Patient, make_patient(timezone="UTC").id)
    mine, theirs = pain_body(), pain_body()
    services.sync(patient=row, items=[{"kind": "pain_rating", "data": mine}], actor=None)
    services.sync(patient=other, items=[{"kind": "pain_rating", "data": theirs}], actor=None)
    changed = {**mine, "score": mine["score"] + 1}
    new, other_new = posture_body(), headache_body()
    items = [
        {"kind": "posture_break", "data": new},
        {"kind": "posture_break", "data": {**posture_body(), "id": mine["id"]}},  # other kind
        {"kind": "pain_rating", "data": theirs},  # another patient's record
        {"kind": "pain_rating", "data": mine},  # a replay
        {"kind": "pain_rating", "data": changed},  # another body under a stored id
        {"kind": "pain_rating", "data": mine},  # the replay again
        {"kind": "headache_entry", "data": other_new},
        {"kind": "posture_break", "data": new},  # a repeat of a new one
    ]
    results = services.sync(patient=row, items=items, actor=None)

    statuses = [r["status"] for r in results]
    assert statuses == [
        "created", "conflict", "conflict", "duplicate", "conflict", "duplicate", "created",
        "duplicate",
    ]  # fmt: skip
    audited = db.session.scalars(
        sa.select(AuditEvent.object_id).where(AuditEvent.action.like("%.create"))
    ).all()
    assert sorted(audited) == sorted([mine["id"], theirs["id"], new["id"], other_new["id"]])
    stored = db.session.scalar(
        sa.select(PainRating.score).where(PainRating.id == uuid.UUID(mine["id"]))
    )
    assert stored == mine["score"]


def _pain(recorded_at: datetime, **fields) -> dict:
    return {
        "id": uuid.uuid4(),
        "recorded_at": recorded_at,
        "score": 3,
        "context": "now",
        **fields,
    }


def test_the_time_window_is_relative_to_the_given_now(app_ctx, patient) -> None:
    row = db.session.get(Patient, patient.id)
    body = _pain(NOW - timedelta(days=59))
    stored, created = services.record_one(
        patient=row, kind="pain_rating", body=body, actor=None, now=NOW
    )
    assert created
    assert stored["received_at"] == NOW
    with pytest.raises(Unprocessable) as error:
        services.record_one(
            patient=row,
            kind="pain_rating",
            body=_pain(NOW - timedelta(days=61)),
            actor=None,
            now=NOW,
        )
    assert "recorded_at" in error.value.errors
    with pytest.raises(Unprocessable):
        services.record_one(
            patient=row,
            kind="pain_rating",
            body=_pain(NOW + timedelta(minutes=6)),
            actor=None,
            now=NOW,
        )


def test_a_retry_after_the_record_aged_out_of_the_window_is_still_a_replay(
    app_ctx, patient
) -> None:
    """Stored at 59 days and 23 hours old, its answer lost: the retry two hours later is past
    the 60-day window, but it replays a stored record, so it is answered as one (200 on a single
    POST, ``duplicate`` in a sync), not refused. A different body under the id, or a new record
    that old, is still refused for its age."""
    row = db.session.get(Patient, patient.id)
    body = _pain(NOW - timedelta(days=59, hours=23))
    first, created = services.record_one(
        patient=row, kind="pain_rating", body=body, actor=None, now=NOW
    )
    assert created
    later = NOW + timedelta(hours=2)
    again, created = services.record_one(
        patient=row, kind="pain_rating", body=body, actor=None, now=later
    )
    assert (again, created) == (first, False)
    [result] = services.sync(
        patient=row,
        items=[
            {
                "kind": "pain_rating",
                "data": {
                    **body,
                    "id": str(body["id"]),
                    "recorded_at": body["recorded_at"].isoformat(),
                },
            }
        ],
        actor=None,
        now=later,
    )
    assert result == {"id": str(body["id"]), "status": "duplicate"}
    with pytest.raises(Unprocessable) as refused:
        services.record_one(
            patient=row, kind="pain_rating", body={**body, "score": 4}, actor=None, now=later
        )
    assert "recorded_at" in refused.value.errors
    with pytest.raises(Unprocessable):
        services.record_one(
            patient=row,
            kind="pain_rating",
            body={**body, "id": uuid.uuid4()},
            actor=None,
            now=later,
        )
    assert count(PainRating) == 1


def test_replay_returns_the_stored_row_and_conflict_raises(app_ctx, patient) -> None:
    row = db.session.get(Patient, patient.id)
    body = _pain(NOW - timedelta(hours=1))
    first, _ = services.record_one(patient=row, kind="pain_rating", body=body, actor=None, now=NOW)
    later = NOW + timedelta(hours=1)
    again, created = services.record_one(
        patient=row, kind="pain_rating", body=body, actor=None, now=later
    )
    assert not created
    assert again == first
    with pytest.raises(Conflict):
        services.record_one(
            patient=row, kind="pain_rating", body={**body, "score": 4}, actor=None, now=later
        )
    assert count(PainRating) == 1


def test_a_single_record_is_one_statement_on_postgresql_and_three_on_sqlite(
    app_ctx, patient, backend
) -> None:
    """The record, its audit row and the flag engine's queue mark; nothing else."""
    row = db.session.get(Patient, patient.id)
    services.record_one(
        patient=row, kind="pain_rating", body=_pain(NOW - timedelta(hours=2)), actor=None, now=NOW
    )
    db.session.flush()  # the first record refreshed last_activity_at; the next one does not
    with statements() as seen:
        services.record_one(patient=row, kind="pain_rating", body=_pain(NOW), actor=None, now=NOW)
    shapes = [s.split()[0:3] for s in seen]
    if backend == "postgresql":
        assert shapes == [["WITH", "inserted", "AS"]]
        assert "INSERT INTO audit_events" in seen[0]
        assert "INSERT INTO flag_evaluation_states" in seen[0]
    else:
        assert shapes == [
            ["INSERT", "INTO", "pain_ratings"],
            ["INSERT", "INTO", "audit_events"],
            ["INSERT", "INTO", "flag_evaluation_states"],
        ]
    assert count(PainRating) == 2


def test_a_replayed_single_record_writes_no_audit_row_and_no_queue_mark(app_ctx, patient) -> None:
    from server.audit.models import AuditEvent
    from server.flags.models import FlagEvaluationState

    row = db.session.get(Patient, patient.id)
    body = _pain(NOW - timedelta(hours=2))
    services.record_one(patient=row, kind="pain_rating", body=body, actor=None, now=NOW)
    db.session.commit()
    state = db.session.get(FlagEvaluationState, patient.id)
    state.next_sweep_at, state.pending_from = None, None
    db.session.commit()
    _, created = services.record_one(
        patient=row, kind="pain_rating", body=body, actor=None, now=NOW
    )
    db.session.commit()
    assert not created
    assert count(AuditEvent) == 1
    db.session.refresh(state)
    assert (state.next_sweep_at, state.pending_from) == (None, None)


def test_a_second_record_before_the_tick_leaves_the_queue_row_alone(
    app_ctx, patient, backend
) -> None:
    """The record's own statement carries the queue mark (one CTE on PostgreSQL); once the
    patient is due, later records of the same or a later day do not rewrite the row."""
    import sqlalchemy as sa

    from server.flags.models import FlagEvaluationState

    row = db.session.get(Patient, patient.id)
    states = FlagEvaluationState.__table__
    version = sa.text("SELECT xmin::text FROM flag_evaluation_states WHERE patient_id = :p")

    def record(minutes: int) -> str | None:
        body = _pain(NOW - timedelta(minutes=minutes))
        services.record_one(patient=row, kind="pain_rating", body=body, actor=None, now=NOW)
        db.session.commit()
        if backend == "postgresql":
            return db.session.scalar(version, {"p": patient.id})
        return None

    first = record(90)
    assert record(30) == first  # due already, from as early a day: no new row version
    marked = db.session.execute(sa.select(states.c.next_sweep_at, states.c.pending_from)).one()
    assert marked == (NOW, (NOW - timedelta(minutes=30)).date())
