"""The flag engine against the database: ingest, sweep, lifecycle of flags on the data's timeline.

Baseline 3 (the therapist's) unless a test says otherwise; programme from day 0.
"""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from server.accounts.models import Clinic
from server.audit.models import AuditEvent
from server.extensions import db
from server.flags import services
from server.flags.jobs import run_pending_evaluations
from server.flags.models import Flag, FlagEvaluationState
from server.programmes.models import Programme, ProgrammeRevision
from server.reminders.models import Delivery
from tests.adherence.conftest import statements
from tests.flags.conftest import (
    active_counts,
    check,
    day,
    headache,
    normalized,
    pain,
    posture,
    row_of,
    session,
)


def good_day(n: int, score: int, **session_fields) -> list:
    """A pain rating and both prescribed sessions done."""
    return [
        pain(n, score),
        session(n, "morning", **session_fields),
        session(n, "evening", **session_fields),
    ]


def good_days(first: int, last: int, score: int = 3) -> list:
    return [r for n in range(first, last + 1) for r in good_day(n, score)]


def test_expected_flare_after_the_start_settles_by_itself(engine):
    patient = engine()
    patient.ingest(good_days(0, 2), patient.at(2, 20))
    patient.ingest(good_day(3, 7), patient.at(3, 20))
    flare = patient.one("flare_up")
    assert flare["status"] == "open"
    assert flare["expected"] is True
    assert flare["suggested_action"] == "hold_progression"
    assert flare["episode_start"] == day(3)
    assert flare["evidence"][0]["rule"] == "flare_up.daily_pain"
    assert flare["evidence"][0]["thresholds"] == {"flare_rise": 2.0}
    assert flare["evidence"][0]["baseline"]["value"] == 3.0

    patient.ingest(good_day(4, 4) + good_day(5, 4), patient.at(5, 20))
    assert patient.one("flare_up")["status"] == "open"  # day 5 is not over yet
    patient.sweep(patient.at(6, 0, 5))
    flare = patient.one("flare_up")
    assert flare["status"] == "auto_resolved"
    assert flare["auto_resolution_reason"] == "settled"
    assert flare["episode_end"] == day(5)
    assert patient.flags("worsening") == []


def test_flare_not_settled_after_72_hours_escalates_to_worsening(engine):
    patient = engine()
    patient.ingest(good_days(0, 19), patient.at(19, 20))
    patient.ingest(good_day(20, 7, pain_during=7), patient.at(20, 20))
    flare = patient.one("flare_up")
    assert flare["expected"] is False  # 20 days after the start, no progression
    assert flare["suggested_action"] == "regress_one_level"  # session pain > 5 (Silbernagel)
    patient.ingest(good_day(21, 6) + good_day(22, 6), patient.at(22, 20))
    patient.sweep(patient.at(24, 0, 30))
    flare = patient.one("flare_up")
    assert (flare["status"], flare["auto_resolution_reason"]) == ("auto_resolved", "escalated")
    worsening = patient.one("worsening")
    assert worsening["status"] == "open"
    assert worsening["severity"] == "high"
    assert worsening["suggested_action"] == "regress_one_level"
    rules = {e["rule"] for e in worsening["evidence"]}
    assert "worsening.unsettled_flare" in rules


def test_pain_rated_during_exercise_above_five_is_a_flare(engine):
    """Silbernagel's limit holds for a pain rating the patient gave in the exercise context as
    for a session log's own pain: 6/10 during exercise is a flare even where daily pain (6,
    against a baseline of 5) is not, and an exercise-related one."""
    patient = engine(baseline_pain=5)
    patient.ingest(good_days(0, 19, score=5), patient.at(19, 20))
    assert patient.flags("flare_up") == []
    day_20 = [pain(20, 5), pain(20, 6, "during_exercise"), session(20), session(20, "evening")]
    patient.ingest(day_20, patient.at(20, 20))
    flare = patient.one("flare_up")
    assert [e["rule"] for e in flare["evidence"]] == ["flare_up.session_pain"]
    assert flare["suggested_action"] == "regress_one_level"


def test_a_session_on_a_day_the_schedule_leaves_free_counts_for_the_next_morning(engine):
    """Sessions are scheduled Monday to Friday; the patient also exercises on Saturday, and
    Sunday's morning pain is raised: the flare's evidence includes "not settled by the next
    morning", as after any session."""
    weekdays = {
        "days": [1, 2, 3, 4, 5],
        "slots": [{"slot": "morning", "time": "08:00"}, {"slot": "evening", "time": "19:00"}],
    }
    patient = engine(schedule=weekdays)
    patient.ingest(good_days(0, 4), patient.at(4, 20))
    patient.ingest([pain(5, 3), session(5)], patient.at(5, 20))
    patient.ingest([pain(6, 6, "morning")], patient.at(6, 9))
    flare = patient.one("flare_up")
    assert "flare_up.next_morning" in {e["rule"] for e in flare["evidence"]}


def test_missing_data_never_escalates_a_flare(engine):
    patient = engine()
    patient.ingest(good_days(0, 19), patient.at(19, 20))
    patient.ingest(good_day(20, 7), patient.at(20, 20))
    patient.sweep(patient.at(27, 1))
    assert patient.one("flare_up")["status"] == "open"
    assert patient.flags("worsening") == []
    non_adherence = patient.one("non_adherence")  # the silence is flagged instead
    assert non_adherence["episode_start"] == day(23)


def test_baseline_missing_then_derived_from_the_first_seven_days(engine):
    patient = engine(baseline_pain=None)
    patient.ingest(good_days(0, 4, score=2), patient.at(4, 20))
    patient.ingest(good_day(5, 6), patient.at(5, 20))
    assert patient.flags("flare_up") == []  # six days with data: no baseline yet
    patient.ingest(good_day(6, 2) + good_day(7, 5), patient.at(7, 20))
    flare = patient.one("flare_up")  # median of days 0-6 is 2; 5 ≥ 2 + 2
    assert flare["episode_start"] == day(7)
    baseline = flare["evidence"][0]["baseline"]
    assert baseline == {"value": 2.0, "source": "derived", "established_on": day(6).isoformat()}


def test_a_single_rating_of_eight_is_high_pain_until_a_therapist_resolves_it(engine):
    patient = engine()
    patient.ingest([pain(2, 8, "evening"), headache(3, 9)], patient.at(3, 20))
    high = patient.one("high_pain")
    assert (high["severity"], high["status"]) == ("high", "open")
    assert [e["values"]["max_pain"] for e in high["evidence"]] == [8, 9]
    patient.sweep(patient.at(10, 1))
    assert patient.one("high_pain")["status"] == "open"


def test_late_synced_data_gives_the_same_flags_as_live_data(engine):
    scenario = {n: good_day(n, p) for n, p in enumerate([3, 3, 3, 7, 4, 4, 3, 3, 8, 7, 7, 6, 3])}
    live, late = engine(), engine()
    for n, records in scenario.items():
        live.ingest(records, live.at(n, 21))
        live.sweep(live.at(n + 1, 0, 10))
    late.ingest([r for records in scenario.values() for r in records], late.at(13, 0, 10))
    assert normalized(live.flags()) == normalized(late.flags())
    kinds = {(f["type"], f["status"]) for f in late.flags()}
    assert ("flare_up", "auto_resolved") in kinds
    assert ("worsening", "open") in kinds


def test_late_data_resolves_a_flag_it_no_longer_supports_and_keeps_it(engine):
    patient = engine()
    patient.ingest(good_days(0, 9), patient.at(9, 20))
    patient.sweep(patient.at(13, 0, 5))
    flag = patient.one("non_adherence")
    assert flag["status"] == "open"
    assert [e["rule"] for e in flag["evidence"]] == ["non_adherence.nothing_logged"]
    patient.ingest(good_days(10, 12), patient.at(13, 9))  # the phone syncs the quiet days
    flag = patient.one("non_adherence")
    assert (flag["status"], flag["auto_resolution_reason"]) == ("auto_resolved", "superseded")
    assert all(e.get("withdrawn") for e in flag["evidence"])


def test_non_adherence_auto_resolves_when_the_patient_is_back(engine):
    patient = engine()
    patient.ingest(good_days(0, 9), patient.at(9, 20))
    patient.sweep(patient.at(13, 0, 5))
    patient.ingest(good_day(13, 3), patient.at(13, 20))
    patient.sweep(patient.at(14, 0, 5))
    flag = patient.one("non_adherence")
    assert (flag["status"], flag["auto_resolution_reason"]) == (
        "auto_resolved",
        "back_above_threshold",
    )
    assert flag["episode_end"] == day(13)


def test_a_configured_progression_window_longer_than_three_weeks_is_read_whole(engine):
    """A programme's 28-day progression window: the week without sessions at its start keeps
    adherence below 80 %, so no progression is suggested. Read as 21 days, it would be."""
    patient = engine(thresholds={"progression_days": 28})
    patient.ingest([pain(n, 2) for n in range(0, 7)], patient.at(6, 20))
    patient.ingest(good_days(7, 27, score=2), patient.at(27, 20))
    patient.sweep(patient.at(28, 0, 5))
    assert patient.flags("progression_ready") == []


@pytest.mark.parametrize(
    ("kind", "raised"),
    [("progress", 0), ("revision", 1)],
    ids=["a progress", "a revision raising a level"],
)
def test_progression_ready_is_superseded_by_the_next_intensity_change(engine, app, kind, raised):
    """An intensity increase is a progress or any revision that raises an item's level."""
    patient = engine()
    patient.ingest(good_days(0, 13, score=2), patient.at(13, 20))
    patient.sweep(patient.at(14, 0, 5))
    ready = patient.one("progression_ready")
    assert (ready["severity"], ready["suggested_action"]) == ("info", "consider_progression")
    with app.app_context():
        from server.programmes.models import ProgrammeRevision

        programme = db.session.scalar(
            sa.select(Programme).where(Programme.patient_id == patient.patient_id)
        )
        first = programme.revisions[0]
        db.session.add(
            ProgrammeRevision(
                programme_id=programme.id,
                clinic_id=programme.clinic_id,
                patient_id=programme.patient_id,
                number=2,
                kind=kind,
                items=[{**item, "level": item["level"] + raised} for item in first.items],
                schedule=first.schedule,
                posture_breaks=first.posture_breaks,
                author_id=first.author_id,
                reason="progress",
                effective_at=patient.at(15, 9),
            )
        )
        db.session.commit()
    patient.sweep(patient.at(16, 0, 5))
    ready = patient.one("progression_ready")
    assert (ready["status"], ready["auto_resolution_reason"]) == (
        "auto_resolved",
        "intensity_changed",
    )
    patient.ingest(good_day(16, 7), patient.at(16, 20))
    assert patient.one("flare_up")["expected"] is True  # a day after a progression


def test_red_flag_is_urgent_alerts_the_therapist_and_collects_checks(engine, app):
    patient = engine()
    patient.ingest([check(3, thunderclap=True)], patient.at(3, 9))
    red = patient.one("red_flag")
    assert (red["severity"], red["status"], red["suggested_action"]) == (
        "urgent",
        "open",
        "refer_emergency",
    )
    assert red["evidence"][0]["values"]["positive_answers"] == ["thunderclap"]
    with app.app_context():
        alerts = db.session.scalars(sa.select(Delivery).where(Delivery.kind == "urgent_flag"))
        assert [a.payload["flag_id"] for a in alerts] == [str(red["id"])]
    patient.ingest([check(4, fever_neck_stiffness=True, neuro_deficit=True)], patient.at(4, 9))
    red = patient.one("red_flag")
    assert [e["values"]["positive_answers"] for e in red["evidence"]] == [
        ["thunderclap"],
        ["fever_neck_stiffness", "neuro_deficit"],
    ]


def test_a_new_danger_sign_reopens_an_acknowledged_red_flag_and_alerts_again(engine, app):
    """The patient is told their physiotherapist has been alerted: so they must be, each time."""
    from server.access import Actor
    from server.flags.review import acknowledge_flag

    patient = engine()
    patient.ingest([check(3, thunderclap=True)], patient.at(3, 9))
    with app.app_context():
        therapist = Actor(patient.therapist_id, "therapist", patient.clinic_id)
        acknowledge_flag(actor=therapist, flag_id=patient.one("red_flag")["id"])
        db.session.commit()
    patient.ingest([check(4, neuro_deficit=True)], patient.at(4, 9))
    red = patient.one("red_flag")
    assert (red["status"], len(red["evidence"])) == ("open", 2)
    assert red["acknowledged_by"] == patient.therapist_id  # the earlier review stays on record
    with app.app_context():
        alerts = db.session.scalars(sa.select(Delivery).where(Delivery.kind == "urgent_flag"))
        assert [a.payload["flag_id"] for a in alerts] == [str(red["id"])] * 2
        actions = db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.object_id == str(red["id"]))
        ).all()
        assert "flag.reopened" in actions


def test_thresholds_come_from_programme_then_clinic_then_defaults(engine, app):
    patient = engine()
    with app.app_context():
        db.session.get(Clinic, patient.clinic_id).flag_thresholds = {"high_pain": 9}
        db.session.commit()
    patient.ingest([pain(2, 8)], patient.at(2, 20))
    assert patient.flags("high_pain") == []
    with app.app_context():
        revision = db.session.scalar(
            sa.select(ProgrammeRevision).where(ProgrammeRevision.patient_id == patient.patient_id)
        )
        revision.flag_thresholds = {"high_pain": 7}
        db.session.commit()
    patient.ingest([pain(3, 7)], patient.at(3, 20))
    high = patient.one("high_pain")
    assert {e["thresholds"]["high_pain"] for e in high["evidence"]} == {7.0}


def test_at_most_one_active_flag_per_patient_and_type(engine, app):
    patient = engine()
    patient.ingest([pain(2, 9)], patient.at(2, 20))
    with app.app_context():
        existing = db.session.scalar(sa.select(Flag).where(Flag.type == "high_pain"))
        duplicate = Flag(
            **{
                c.key: getattr(existing, c.key)
                for c in Flag.__table__.columns
                if c.key not in ("id",)
            }
        )
        db.session.add(duplicate)
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_sweep_picks_only_due_patients_with_a_programme(engine):
    with_programme, without = engine(), engine(start=None)
    without.ingest([pain(1, 9)], without.at(1, 12))
    assert with_programme.sweep(with_programme.at(5, 1)) == 1  # first sweep: never evaluated
    assert with_programme.sweep(with_programme.at(5, 2)) == 0  # not due before midnight
    assert with_programme.sweep(with_programme.at(6, 0, 1)) == 1
    assert without.one("high_pain")["status"] == "open"


def test_active_flag_counts_by_severity(engine, app):
    patient, quiet = engine(), engine()
    patient.ingest([pain(2, 9), check(2, thunderclap=True)], patient.at(2, 20))
    with app.app_context():
        counts = active_counts([patient.patient_id, quiet.patient_id])
    assert counts[patient.patient_id] == {"urgent": 1, "high": 1, "normal": 1, "low": 0, "info": 0}
    assert counts[quiet.patient_id] == dict.fromkeys(counts[quiet.patient_id], 0)


def test_system_transitions_are_audited(engine, app):
    patient = engine()
    patient.ingest(good_day(2, 7), patient.at(2, 20))
    patient.ingest(good_day(3, 3) + good_day(4, 3), patient.at(5, 1))
    with app.app_context():
        actions = db.session.scalars(
            sa.select(AuditEvent.action).where(
                AuditEvent.patient_id == patient.patient_id, AuditEvent.object_type == "flag"
            )
        ).all()
    assert {"flag.opened", "flag.auto_resolved"} <= set(actions)


def test_posture_breaks_count_as_activity(engine):
    patient = engine()
    patient.ingest(good_days(0, 9), patient.at(9, 20))
    patient.ingest([posture(10), posture(11), posture(12)], patient.at(12, 20))
    patient.sweep(patient.at(13, 0, 5))
    assert patient.flags("non_adherence") == []


def test_a_reviewed_worsening_run_is_not_raised_again_until_it_recurs(engine, app):
    from server.access import Actor
    from server.flags.review import resolve_flag

    patient = engine(thresholds={"flare_rise": 10})  # isolate the 7-day mean rule
    pains = [3] * 10 + [6] * 8 + [3] * 7 + [7] * 7
    patient.ingest([r for n, p in enumerate(pains[:15]) for r in good_day(n, p)], patient.at(15, 8))
    (worsening,) = patient.flags("worsening")
    assert [e["rule"] for e in worsening["evidence"]] == ["worsening.mean_7d"]
    with app.app_context():
        therapist = Actor(patient.therapist_id, "therapist", patient.clinic_id)
        resolve_flag(actor=therapist, flag_id=worsening["id"], note="Reviewed.", action="contacted")
        db.session.commit()
    for n in range(15, 25):
        patient.ingest(good_day(n, pains[n]), patient.at(n, 21))
    (reviewed,) = patient.flags("worsening")  # the same run continued: no new flag
    assert reviewed["status"] == "resolved"
    assert len(reviewed["evidence"]) > 1
    for n in range(25, len(pains)):
        patient.ingest(good_day(n, pains[n]), patient.at(n, 21))
    patient.sweep(patient.at(len(pains), 0, 5))
    reviewed, recurred = patient.flags("worsening")
    assert (reviewed["status"], recurred["status"]) == ("resolved", "open")
    assert recurred["episode_start"] > reviewed["last_evidence_on"]


def test_an_acknowledged_flare_still_auto_resolves_when_it_settles(engine, app):
    from server.access import Actor
    from server.flags.review import acknowledge_flag

    patient = engine()
    patient.ingest(good_day(2, 7), patient.at(2, 20))
    with app.app_context():
        therapist = Actor(patient.therapist_id, "therapist", patient.clinic_id)
        acknowledge_flag(actor=therapist, flag_id=patient.one("flare_up")["id"])
        db.session.commit()
    patient.ingest(good_day(3, 3) + good_day(4, 3), patient.at(5, 1))
    flare = patient.one("flare_up")
    assert (flare["status"], flare["acknowledged_by"]) == ("auto_resolved", patient.therapist_id)


def test_ingest_only_queues_the_patient_and_the_tick_evaluates_the_earliest_day(engine, app):
    patient = engine()
    now = patient.at(5, 20)
    with app.app_context():
        db.session.add(row_of(pain(2, 9), patient.patient_id, patient.clinic_id, ZoneInfo("UTC")))
        for n in (4, 2, 3):
            services.queue_evaluation(
                patient_id=patient.patient_id, clinic_id=patient.clinic_id, days={day(n)}, now=now
            )
        db.session.commit()
        state = db.session.get(FlagEvaluationState, patient.patient_id)
        assert (state.pending_from, state.next_sweep_at, state.evaluated_at) == (day(2), now, None)
    assert patient.flags() == []  # nothing is evaluated inside the ingest transaction
    with app.app_context():
        assert run_pending_evaluations(now) == 1
        assert run_pending_evaluations(now) == 0  # evaluated: due again at the next midnight
        state = db.session.get(FlagEvaluationState, patient.patient_id)
        assert (state.pending_from, state.evaluated_at) == (None, now)
        assert state.next_sweep_at == patient.at(6, 0)
    assert patient.one("high_pain")["episode_start"] == day(2)


def test_a_mark_writes_the_row_only_when_it_moves_the_due_time_or_day_earlier(engine, app):
    from server.flags.queue import mark_due

    patient = engine()
    ids = {"patient_id": patient.patient_id, "clinic_id": patient.clinic_id}
    now = patient.at(5, 20)
    with app.app_context():
        db.session.execute(sa.delete(FlagEvaluationState).filter_by(patient_id=patient.patient_id))
        wrote = [
            mark_due(**ids, days={day(3)}, now=now),  # new row
            mark_due(**ids, days={day(3)}, now=now),  # same mark: left alone
            mark_due(**ids, days={day(4)}, now=patient.at(5, 21)),  # later day, later due
            mark_due(**ids, days={day(2)}, now=patient.at(5, 21)),  # earlier day
            mark_due(**ids, days={day(4)}, now=patient.at(5, 19)),  # earlier due time
        ]
        db.session.commit()
        state = db.session.get(FlagEvaluationState, patient.patient_id)
        assert wrote == [True, False, False, True, True]
        assert (state.pending_from, state.next_sweep_at) == (day(2), patient.at(5, 19))
        # Evaluated: no pending day, due again at the next midnight. Any new record marks it.
        assert run_pending_evaluations(patient.at(5, 22)) == 1
        assert mark_due(**ids, days={day(5)}, now=patient.at(5, 23)) is True
        db.session.commit()
        db.session.refresh(state)
        assert (state.pending_from, state.next_sweep_at) == (day(5), patient.at(5, 23))


def test_a_tick_with_nothing_due_is_one_indexed_read(engine, app, backend):
    patient = engine()
    patient.ingest([pain(1, 3)], patient.at(1, 20))
    with app.app_context():
        with statements() as seen:
            assert run_pending_evaluations(patient.at(1, 21)) == 0
        assert [s.split()[0] for s in seen] == ["SELECT"]
        assert "next_sweep_at <=" in seen[0]
        if backend == "sqlite":
            plan = (
                db.session.connection()
                .exec_driver_sql(
                    f"EXPLAIN QUERY PLAN {seen[0]}", ("2026-03-03 21:00:00.000000", 1, 0)
                )
                .all()
            )
            assert "ix_flag_evaluation_states_next_sweep_at" in str(plan)


def test_a_claimed_patient_is_not_claimed_by_a_concurrent_tick(engine, app, backend):
    """PostgreSQL: the claim locks the rows and another tick skips them. SQLite: FOR UPDATE is
    dropped from its SQL, so the claim must start the single-writer transaction itself.
    """
    from server.flags.queue import claim_due

    patient = engine()
    patient.ingest([pain(1, 3)], patient.at(1, 20))
    later = patient.at(9, 0)
    with app.app_context():
        dbapi = db.session.connection().connection.dbapi_connection
        assert [s.patient_id for s in claim_due(later, 1)] == [patient.patient_id]
        if backend == "sqlite":
            assert dbapi.in_transaction
        else:
            states = FlagEvaluationState.__table__
            other_tick = (
                sa.select(states.c.patient_id)
                .where(states.c.next_sweep_at <= later)
                .with_for_update(skip_locked=True)
            )
            with db.engine.connect() as other:
                assert other.execute(other_tick).all() == []
        db.session.rollback()


def _end_programme(app, patient, last_day: date) -> None:
    with app.app_context():
        db.session.execute(
            sa.update(Programme)
            .where(Programme.patient_id == patient.patient_id)
            .values(end_date=last_day)
        )
        db.session.commit()


def test_a_discharge_closes_the_adherence_flag_at_once(engine, app):
    patient = engine()
    patient.ingest(good_days(0, 9), patient.at(9, 20))
    patient.sweep(patient.at(13, 0, 5))
    assert patient.one("non_adherence")["status"] == "open"

    _end_programme(app, patient, day(13))  # ended today, its last day
    patient.tick(patient.at(13, 10))

    flag = patient.one("non_adherence")
    assert (flag["status"], flag["auto_resolution_reason"]) == ("auto_resolved", "programme_ended")
    assert flag["episode_end"] == day(13)
    patient.tick(patient.at(16, 10))  # and nothing more is owed afterwards
    assert [f["status"] for f in patient.flags("non_adherence")] == ["auto_resolved"]


@pytest.mark.parametrize("evaluated_on", [14, 18])  # at once, or after a scheduler outage
def test_a_programme_replaced_today_closes_the_old_adherence_flag_as_ended(
    engine, app, make_programme, evaluated_on
):
    patient = engine()
    patient.ingest(good_days(0, 9), patient.at(9, 20))
    patient.sweep(patient.at(13, 0, 5))
    assert patient.one("non_adherence")["status"] == "open"

    _end_programme(app, patient, day(13))  # what a newer programme from day 14 does to it
    owner = SimpleNamespace(
        id=patient.patient_id, clinic_id=patient.clinic_id, therapist_id=patient.therapist_id
    )
    make_programme(owner, start_date=day(14), effective_at=patient.at(13, 20))
    patient.tick(patient.at(evaluated_on, 10))

    flags = patient.flags("non_adherence")
    old = next(f for f in flags if f["episode_start"] < day(14))
    assert (old["status"], old["auto_resolution_reason"]) == ("auto_resolved", "programme_ended")
    assert old["episode_end"] == day(13)
