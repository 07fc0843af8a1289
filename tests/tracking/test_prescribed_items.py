"""Logged session items must be the programme's items for that slot on that date, and the slot
one its schedule has: 422 on ``items`` or ``slot`` for a single post, an ``invalid`` result for
that one record in a sync batch.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from server.accounts.models import Patient
from server.extensions import db
from server.programmes.models import Programme, ProgrammeRevision
from server.tracking import services
from server.tracking.models import PainRating, SessionLog
from tests.adherence.conftest import statements
from tests.conftest import count
from tests.tracking.conftest import PATHS, now_utc, pain_body, session_body

SYNC = "/api/v1/me/sync"


def _today() -> date:
    return now_utc().date()


def _done(item_id: object, sets: int = 2, reps: int = 10) -> dict:
    return {"item_id": str(item_id), "sets_done": sets, "reps_done": reps}


@pytest.fixture
def programme(app, patient, make_programme):
    """A programme in force since a week ago: item 0 in the morning only, item 1 in the evening
    only (revision 1's items, edited in place before any log refers to them).
    """
    handle = make_programme(patient, start_date=_today() - timedelta(days=7))
    with app.app_context():
        revision = _revision(handle.id, 1)
        first, second = (dict(item) for item in revision.items)
        revision.items = [{**first, "slots": ["morning"]}, {**second, "slots": ["evening"]}]
        db.session.commit()
    return handle


def _revision(programme_id: uuid.UUID, number: int) -> ProgrammeRevision:
    return db.session.scalar(
        sa.select(ProgrammeRevision).where(
            ProgrammeRevision.programme_id == programme_id, ProgrammeRevision.number == number
        )
    )


def _revise_keeping_only_the_morning_item(
    app, programme, effective_at: datetime, *, morning_session_only: bool = False
) -> None:
    """Revision 2, effective ``effective_at``: the evening item is dropped (and, with
    ``morning_session_only``, the evening session too)."""
    with app.app_context():
        first = _revision(programme.id, 1)
        schedule = first.schedule
        if morning_session_only:
            schedule = {**schedule, "slots": [{"slot": "morning", "time": "08:00"}]}
        db.session.add(
            ProgrammeRevision(
                programme_id=programme.id,
                clinic_id=first.clinic_id,
                patient_id=first.patient_id,
                number=2,
                kind="revision",
                items=first.items[:1],
                schedule=schedule,
                posture_breaks=first.posture_breaks,
                author_id=first.author_id,
                reason="Drop the evening exercise.",
                effective_at=effective_at,
            )
        )
        db.session.commit()


def _post_session(client, patient, **fields):
    body = session_body(date=_today().isoformat(), **fields)
    return body, client.post(PATHS["session_log"], json=body, headers=patient.headers)


def test_items_of_the_slot_are_stored(client, app, patient, programme) -> None:
    morning, evening = programme.item_ids
    body, response = _post_session(client, patient, slot="morning", items=[_done(morning)])
    _, later = _post_session(client, patient, slot="evening", items=[_done(evening, 3, 8)])

    assert response.status_code == 201, response.json
    assert later.status_code == 201, later.json
    assert response.json["items"] == [_done(morning)]
    assert response.json["revision_number"] == 1
    with app.app_context():
        assert db.session.get(SessionLog, uuid.UUID(body["id"])).items == [_done(morning)]


def test_an_unknown_item_id_is_422_on_items(client, app, patient, programme) -> None:
    stranger = uuid.uuid4()
    _, response = _post_session(
        client, patient, items=[_done(programme.item_ids[0]), _done(stranger)]
    )

    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert list(response.json["errors"]) == ["items"]
    assert response.json["errors"]["items"] == [
        f"Item {stranger} was never prescribed by {_today()}."
    ]
    with app.app_context():
        assert count(SessionLog) == 0


def test_an_item_of_another_slot_is_422_on_items(client, app, patient, programme) -> None:
    evening_item = programme.item_ids[1]
    _, response = _post_session(client, patient, slot="morning", items=[_done(evening_item)])

    assert response.status_code == 422
    assert response.json["errors"] == {
        "items": [f"Item {evening_item} is not part of the morning session."]
    }
    with app.app_context():
        assert count(SessionLog) == 0


def test_an_item_a_revision_took_away_is_still_accepted(client, app, patient, programme) -> None:
    """A log written offline before the revision must not be lost when it syncs after it."""
    _revise_keeping_only_the_morning_item(app, programme, datetime.now(UTC))
    evening_item = programme.item_ids[1]
    yesterday = (_today() - timedelta(days=1)).isoformat()

    before = client.post(
        PATHS["session_log"],
        json=session_body(date=yesterday, slot="evening", items=[_done(evening_item)]),
        headers=patient.headers,
    )
    _, today = _post_session(client, patient, slot="evening", items=[_done(evening_item)])

    assert before.status_code == 201, before.json
    assert before.json["revision_number"] == 1
    assert today.status_code == 201, today.json
    assert today.json["revision_number"] == 2


@pytest.mark.parametrize("slot", ["morning", "evening"])
def test_a_log_after_a_revision_records_it_though_the_worker_remembered_the_last(
    client, app, patient, programme, slot
) -> None:
    """The revision in force is remembered between single logs, but a log is stored only while
    it is still in force: after the therapist's revision the next log is checked afresh."""
    morning, evening = programme.item_ids
    _, first = _post_session(client, patient, slot="morning", items=[_done(morning)])
    _revise_keeping_only_the_morning_item(app, programme, datetime.now(UTC))
    item = morning if slot == "morning" else evening  # the evening item: one it took away
    body, after = _post_session(client, patient, slot=slot, items=[_done(item)])

    assert first.json["revision_number"] == 1
    assert after.status_code == 201, after.json
    assert after.json["revision_number"] == 2
    with app.app_context():
        assert db.session.get(SessionLog, uuid.UUID(body["id"])).revision_number == 2
        assert count(SessionLog) == 2


def test_a_log_after_a_new_programme_records_the_new_one(
    client, app, patient, programme, make_programme
) -> None:
    _post_session(client, patient, slot="morning", items=[_done(programme.item_ids[0])])
    with app.app_context():  # ended yesterday, replaced today
        db.session.get(Programme, programme.id).end_date = _today() - timedelta(days=1)
        db.session.commit()
    replacing = make_programme(patient, start_date=_today())
    _, after = _post_session(client, patient, slot="morning", items=[])

    assert after.status_code == 201, after.json
    assert after.json["programme_id"] == str(replacing.id)


def test_without_a_programme_a_session_is_stored_but_items_are_422(client, app, patient) -> None:
    _, bare = _post_session(client, patient, items=[])
    _, itemised = _post_session(client, patient, items=[_done(uuid.uuid4())])

    assert bare.status_code == 201, bare.json
    assert bare.json["programme_id"] is None
    assert itemised.status_code == 422
    assert "No programme was in force" in itemised.json["errors"]["items"][0]


def test_a_retry_stays_a_replay_after_the_programme_dropped_its_item(
    client, app, patient, programme
) -> None:
    evening_item = programme.item_ids[1]
    body, first = _post_session(client, patient, slot="evening", items=[_done(evening_item)])
    _revise_keeping_only_the_morning_item(app, programme, datetime.now(UTC))

    replay = client.post(PATHS["session_log"], json=body, headers=patient.headers)
    synced = client.post(
        SYNC, json={"items": [{"kind": "session_log", "data": body}]}, headers=patient.headers
    )
    changed = {**body, "notes": "another body under the same id"}
    other = client.post(PATHS["session_log"], json=changed, headers=patient.headers)

    assert first.status_code == 201, first.json
    assert replay.status_code == 200, replay.json
    assert replay.json == first.json
    assert synced.json["results"] == [{"id": body["id"], "status": "duplicate"}]
    assert other.status_code == 409
    with app.app_context():
        assert count(SessionLog) == 1


def test_sync_refuses_only_the_session_logs_with_unprescribed_items(
    client, app, patient, programme
) -> None:
    morning, evening = programme.item_ids
    good_log = session_body(date=_today().isoformat(), slot="morning", items=[_done(morning)])
    unknown = session_body(date=_today().isoformat(), items=[_done(uuid.uuid4())])
    wrong_slot = session_body(date=_today().isoformat(), slot="morning", items=[_done(evening)])
    pain = pain_body()
    items = [
        {"kind": "pain_rating", "data": pain},
        {"kind": "session_log", "data": unknown},
        {"kind": "session_log", "data": good_log},
        {"kind": "session_log", "data": wrong_slot},
    ]

    response = client.post(SYNC, json={"items": items}, headers=patient.headers)

    assert response.status_code == 200
    results = response.json["results"]
    assert [(r["id"], r["status"]) for r in results] == [
        (pain["id"], "created"),
        (unknown["id"], "invalid"),
        (good_log["id"], "created"),
        (wrong_slot["id"], "invalid"),
    ]
    assert list(results[1]["errors"]) == ["items"]
    assert results[3]["errors"] == {
        "items": [f"Item {evening} is not part of the morning session."]
    }
    with app.app_context():
        assert count(PainRating) == 1
        assert db.session.scalars(sa.select(SessionLog.id)).all() == [uuid.UUID(good_log["id"])]


def test_a_slot_no_schedule_has_is_422_on_slot(client, app, patient, programme) -> None:
    _, response = _post_session(client, patient, slot="night")

    assert response.status_code == 422
    assert response.json["errors"] == {
        "slot": [f"No schedule in force by {_today()} has a night session."]
    }
    with app.app_context():
        assert count(SessionLog) == 0


def test_a_slot_an_earlier_revision_had_is_still_accepted(client, app, patient, programme) -> None:
    """Lenient like items: a revision that drops the evening session must not lose an evening
    log written offline before it."""
    earlier = datetime.now(UTC) - timedelta(minutes=5)
    _revise_keeping_only_the_morning_item(app, programme, earlier, morning_session_only=True)

    _, response = _post_session(client, patient, slot="evening")

    assert response.status_code == 201, response.json


def test_sync_refuses_only_the_session_log_with_an_unscheduled_slot(
    client, patient, programme
) -> None:
    night = session_body(date=_today().isoformat(), slot="night")
    morning = session_body(date=_today().isoformat(), slot="morning")
    items = [{"kind": "session_log", "data": night}, {"kind": "session_log", "data": morning}]

    response = client.post(SYNC, json={"items": items}, headers=patient.headers)

    assert [r["status"] for r in response.json["results"]] == ["invalid", "created"]
    assert list(response.json["results"][0]["errors"]) == ["slot"]


def test_checking_items_adds_no_statement_per_session_log(app_ctx, patient, programme) -> None:
    row = db.session.get(Patient, patient.id)
    morning = programme.item_ids[0]

    def batch(size: int) -> list[dict]:
        return [
            {
                "kind": "session_log",
                "data": session_body(
                    date=(_today() - timedelta(days=n % 5)).isoformat(), items=[_done(morning)]
                ),
            }
            for n in range(size)
        ]

    services.sync(patient=row, items=batch(3), actor=None)  # warm up (last activity, state)
    db.session.flush()  # its last activity, as a request's commit would
    counts = []
    for size in (5, 60):
        with statements() as seen:
            results = services.sync(patient=row, items=batch(size), actor=None)
        assert {r["status"] for r in results} == {"created"}
        counts.append(len(seen))
    assert counts[0] == counts[1]


def test_a_session_log_post_runs_a_fixed_few_statements(
    client, app, patient, programme, backend
) -> None:
    """As few as a pain rating's: the token with the patient and the record's statement, which
    checks that the revision this worker remembers for the day is still in force and, on
    PostgreSQL, also writes its audit row, the flag engine's queue mark and the reminders'
    replan mark; the dispatch tick replans (tests/reminders/test_ingest_replans.py)."""
    morning, evening = programme.item_ids
    _post_session(client, patient, slot="morning", items=[_done(morning)])  # last activity
    with app.app_context(), statements() as seen:
        _, response = _post_session(client, patient, slot="evening", items=[_done(evening)])
    assert response.status_code == 201, response.json
    separate = 3 if backend == "sqlite" else 0  # the audit row and both marks, on their own
    assert len(seen) == 2 + separate, seen
    assert not any("reminder_streams" in s for s in seen)
