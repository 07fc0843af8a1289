"""Programme services called directly with an explicit ``now``; helpers for other domains."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask

from server.access import Actor
from server.audit.models import AuditEvent
from server.errors import Conflict
from server.extensions import db
from server.flags.models import FlagEvaluationState
from server.programmes import queries, services
from server.programmes.models import ProgrammeRevision
from server.programmes.services import revisions
from tests.factories import UserHandle

LONDON = ZoneInfo("Europe/London")
T0 = datetime(2025, 3, 20, 10, 0, tzinfo=UTC)


@pytest.fixture
def therapist(make_staff) -> UserHandle:
    return make_staff()


@pytest.fixture
def therapist_actor(therapist: UserHandle) -> Actor:
    return Actor(user_id=therapist.id, role="therapist", clinic_id=therapist.clinic_id)


@pytest.fixture
def patient_id(make_patient, therapist: UserHandle) -> uuid.UUID:
    return make_patient(therapist, timezone="Europe/London").id


def _create(actor: Actor, patient_id, start: date, now: datetime) -> queries.ProgrammeView:
    view = services.create_programme(
        actor=actor,
        patient_id=patient_id,
        template="cervicogenic-headache-basic",
        start_date=start,
        now=now,
    )
    db.session.commit()
    return view


def _progress(actor: Actor, programme_id, base: int, now: datetime, direction="progress"):
    view = services.change_intensity(
        actor=actor,
        programme_id=programme_id,
        base_revision=base,
        direction=direction,
        reason="test",
        now=now,
    )
    db.session.commit()
    return view


def test_revisions_between_follows_revision_changes_and_programme_changes(
    library, app_ctx: Flask, therapist_actor: Actor, patient_id
) -> None:
    first = _create(therapist_actor, patient_id, date(2025, 3, 18), T0)
    assert first.revision.effective_at == datetime(2025, 3, 18, 0, 0, tzinfo=UTC)
    _progress(therapist_actor, first.id, 1, T0 + timedelta(days=3))  # 23 March, 10:00 UTC
    second = _create(therapist_actor, patient_id, date(2025, 3, 26), T0 + timedelta(days=4))
    by_day = queries.revisions_between(patient_id, date(2025, 3, 16), date(2025, 3, 27))
    summary = {d.day: (r.programme_id, r.number) if r else None for d, r in by_day.items()}
    assert summary[16] is None
    assert summary[17] is None
    assert summary[18] == summary[22] == (first.id, 1)
    assert summary[23] == summary[25] == (first.id, 2)
    assert summary[26] == summary[27] == (second.id, 1)
    assert queries.active_programme(patient_id).id == second.id
    assert queries.programme_on(patient_id, date(2025, 3, 25)).id == first.id
    assert queries.programme_on(patient_id, date(2025, 3, 17)) is None
    day = date(2025, 3, 22)
    assert queries.revision_in_force(queries.programme_on(patient_id, day), day, LONDON).number == 1


def test_intensity_increases_are_the_progress_revisions(
    library, app_ctx: Flask, therapist_actor: Actor, patient_id
) -> None:
    programme = _create(therapist_actor, patient_id, date(2025, 3, 18), T0)
    _progress(therapist_actor, programme.id, 1, T0 + timedelta(days=1))
    _progress(therapist_actor, programme.id, 2, T0 + timedelta(days=2), "regress")
    _progress(therapist_actor, programme.id, 3, T0 + timedelta(days=5))
    assert queries.intensity_increases(patient_id) == [
        T0 + timedelta(days=1),
        T0 + timedelta(days=5),
    ]


def test_revisions_of_a_future_programme_take_effect_at_its_start(
    library, app_ctx: Flask, therapist_actor: Actor, patient_id
) -> None:
    programme = _create(therapist_actor, patient_id, date(2025, 4, 1), T0)
    revised = _progress(therapist_actor, programme.id, 1, T0 + timedelta(hours=1))
    start = datetime(2025, 3, 31, 23, tzinfo=UTC)  # 1 April 00:00 BST
    assert programme.revision.effective_at == revised.revision.effective_at == start
    in_force = queries.revisions_between(patient_id, date(2025, 3, 31), date(2025, 4, 1))
    assert in_force[date(2025, 3, 31)] is None
    assert in_force[date(2025, 4, 1)].number == 2


def test_the_unique_revision_number_is_the_backstop_for_concurrent_writers(
    library, app_ctx: Flask, therapist_actor: Actor, patient_id
) -> None:
    programme = _create(therapist_actor, patient_id, date(2025, 3, 18), T0)
    # A writer that got past the lock would insert number 2 while we still see revision 1.
    current = programme.revision
    sneaky = ProgrammeRevision(
        programme_id=current.programme_id,
        clinic_id=current.clinic_id,
        patient_id=current.patient_id,
        kind="revision",
        items=current.items,
        schedule=current.schedule,
        posture_breaks=current.posture_breaks,
        number=2,
        author_id=therapist_actor.user_id,
        reason="other writer",
        effective_at=T0,
    )
    db.session.add(sneaky)
    db.session.commit()
    with pytest.raises(Conflict) as raised:
        services.change_intensity(
            actor=therapist_actor,
            programme_id=programme.id,
            base_revision=1,
            direction="progress",
            reason="mine",
            now=T0 + timedelta(hours=1),
        )
    db.session.rollback()
    assert raised.value.extra == {"current_revision": 2}


def test_every_new_revision_calls_the_reminder_hook_and_is_audited(
    library, app_ctx: Flask, therapist_actor: Actor, patient_id, monkeypatch
) -> None:
    calls: list[tuple] = []
    monkeypatch.setattr(revisions, "after_revision_created", lambda *args: calls.append(args))
    programme = _create(therapist_actor, patient_id, date(2025, 3, 18), T0)
    _progress(therapist_actor, programme.id, 1, T0 + timedelta(days=1))
    queries.get_programme(actor=therapist_actor, programme_id=programme.id, now=T0)
    db.session.commit()
    assert [(revision.patient_id, revision.number, at) for revision, _tz, at in calls] == [
        (patient_id, 1, T0),
        (patient_id, 2, T0 + timedelta(days=1)),
    ]
    actions = db.session.scalars(
        sa.select(AuditEvent.action)
        .where(AuditEvent.patient_id == patient_id)
        .order_by(AuditEvent.at)
    ).all()
    assert sorted(actions) == ["programme.create", "programme.progress", "programme.read"]


def test_every_new_revision_queues_the_flag_evaluation_from_the_day_it_takes_effect(
    library, app_ctx: Flask, therapist_actor: Actor, patient_id
) -> None:
    """Adherence is judged against the new prescription and a progression makes a flare-up
    expected, so the flags are re-derived at the next tick, not at the next log or sweep.
    """

    def queued() -> tuple[datetime, date]:
        state = db.session.get(FlagEvaluationState, patient_id, populate_existing=True)
        return state.next_sweep_at, state.pending_from

    first = _create(therapist_actor, patient_id, date(2025, 3, 18), T0)
    assert queued() == (T0, date(2025, 3, 18))  # revision 1 reaches back to the start date

    db.session.execute(sa.update(FlagEvaluationState).values(next_sweep_at=None, pending_from=None))
    db.session.commit()
    later = datetime(2025, 3, 30, 23, 30, tzinfo=UTC)  # 31 March, 00:30 BST in London
    _progress(therapist_actor, first.id, 1, later)
    assert queued() == (later, date(2025, 3, 31))
