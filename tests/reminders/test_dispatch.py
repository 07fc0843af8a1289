"""The dispatch tick on both databases: streams, exactly one record per occurrence, catch-up,
quiet hours, snooze, logged sessions and posture breaks, therapist alerts and digests.
"""

from __future__ import annotations

import uuid
from datetime import time, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from server.extensions import db
from server.reminders import jobs
from server.reminders.jobs import cleanup_job, digest_job, dispatch_tick, reconcile_streams_job
from server.reminders.models import Delivery, Notification
from server.reminders.providers import DeliveryResult
from server.reminders.services import enqueue_urgent_flag_alert, refresh_reminder_streams
from server.tracking.models import PostureBreak, SessionLog
from tests.reminders.conftest import (
    MONDAY,
    RecordingProvider,
    at_local,
    deliveries,
    notifications_of,
    stream_due,
    utc,
)

BEFORE = utc(2026, 6, 1, 6)  # Monday 06:00 UTC


def tick(app: Flask, now, provider: RecordingProvider, batch_size: int = 50):
    with app.app_context():
        report = dispatch_tick(now, batch_size=batch_size, provider=provider)
        db.session.remove()
        return report


def test_streams_point_at_the_next_occurrence(app, reminder_patient) -> None:
    patient = reminder_patient(now=BEFORE, timezone="Europe/London", posture_interval=40)
    # 08:00 BST is 07:00 UTC; posture breaks from 09:00 BST + 40 min.
    assert stream_due(app, patient.id, "session") == utc(2026, 6, 1, 7)
    assert stream_due(app, patient.id, "posture_break") == utc(2026, 6, 1, 8, 40)


def test_a_due_reminder_is_recorded_once_and_sent_once(app, reminder_patient, provider) -> None:
    patient = reminder_patient(now=BEFORE, language="tr")
    report = tick(app, utc(2026, 6, 1, 8, 0, 20), provider)
    assert report.recorded == {"due": 1}
    [record] = notifications_of(app, patient.id)
    assert record["status"] == "sent"
    assert record["slot"] == "morning"
    assert record["message"] == "Sabah egzersizlerinizin zamanı geldi."
    assert [m.recipient_id for m in provider.sent] == [patient.id]
    assert provider.sent[0].payload["notification_id"] == str(record["id"])
    # The same instant again, and a little later: nothing new, nothing resent.
    tick(app, utc(2026, 6, 1, 8, 0, 20), provider)
    tick(app, utc(2026, 6, 1, 8, 5), provider)
    assert len(notifications_of(app, patient.id)) == 1
    assert len(provider.sent) == 1
    assert stream_due(app, patient.id, "session") == utc(2026, 6, 1, 19)


def test_restart_after_an_outage_records_missed_and_sends_nothing(
    app, reminder_patient, provider
) -> None:
    patient = reminder_patient(now=BEFORE, posture_interval=30)
    # The scheduler was down from 06:00 until 11:10: past every grace period.
    report = tick(app, utc(2026, 6, 1, 11, 10), provider)
    records = notifications_of(app, patient.id)
    assert {r["status"] for r in records} == {"missed"}
    assert [r["at"] for r in records if r["kind"] == "session"] == [utc(2026, 6, 1, 8)]
    assert len([r for r in records if r["kind"] == "posture_break"]) == 4  # 09:30 … 11:00
    assert provider.sent == []
    assert report.recorded == {"missed": 5}
    # The streams jumped to the next future occurrences.
    assert stream_due(app, patient.id, "session") == utc(2026, 6, 1, 19)
    assert stream_due(app, patient.id, "posture_break") == utc(2026, 6, 1, 11, 30)


def test_within_grace_is_still_sent(app, reminder_patient, provider) -> None:
    patient = reminder_patient(now=BEFORE)
    tick(app, utc(2026, 6, 1, 8, 29), provider)
    assert [r["status"] for r in notifications_of(app, patient.id)] == ["sent"]


def test_quiet_hours_record_suppressed_without_push(app, reminder_patient, provider) -> None:
    patient = reminder_patient(now=BEFORE, slots=[("late", "23:00")])
    tick(app, utc(2026, 6, 1, 23, 0, 10), provider)
    assert [r["status"] for r in notifications_of(app, patient.id)] == ["suppressed"]
    assert provider.sent == []
    assert deliveries(app) == []


def test_reminders_disabled_means_no_stream_due(app, reminder_patient, provider) -> None:
    patient = reminder_patient(now=BEFORE, reminders_enabled=False, posture_interval=40)
    assert stream_due(app, patient.id, "session") is None
    assert stream_due(app, patient.id, "posture_break") is None
    tick(app, utc(2026, 6, 1, 12), provider)
    assert notifications_of(app, patient.id) == []


def _log_morning_session(app, patient, *, at) -> None:
    """Monday's morning session, completed and stored at ``at`` (streams not refreshed)."""
    with app.app_context():
        db.session.add(
            SessionLog(
                id=uuid.uuid4(),
                clinic_id=patient.clinic_id,
                patient_id=patient.id,
                recorded_at=at,
                received_at=at,
                local_date=MONDAY,
                body_digest="0" * 64,
                slot="morning",
                status="completed",
            )
        )
        db.session.commit()


def test_no_reminder_for_a_session_already_logged(app, reminder_patient, provider) -> None:
    patient = reminder_patient(now=BEFORE)
    # Even if the domain forgot to refresh the streams, the claim re-checks the logs.
    _log_morning_session(app, patient, at=utc(2026, 6, 1, 7, 30))
    tick(app, utc(2026, 6, 1, 8, 0, 5), provider)
    assert notifications_of(app, patient.id) == []
    assert stream_due(app, patient.id, "session") == utc(2026, 6, 1, 19)


def test_a_logged_posture_break_restarts_the_countdown(app, reminder_patient, provider):
    patient = reminder_patient(now=BEFORE, posture_interval=40)
    assert stream_due(app, patient.id, "posture_break") == utc(2026, 6, 1, 9, 40)
    logged_at = utc(2026, 6, 1, 9, 25)
    with app.app_context():
        db.session.add(
            PostureBreak(
                id=uuid.uuid4(),
                clinic_id=patient.clinic_id,
                patient_id=patient.id,
                recorded_at=logged_at,
                received_at=logged_at,
                local_date=MONDAY,
                body_digest="0" * 64,
            )
        )
        refresh_reminder_streams(patient.id, logged_at)
        db.session.commit()
    assert stream_due(app, patient.id, "posture_break") == utc(2026, 6, 1, 10, 5)


def test_snooze_fires_the_same_record_again(app, client, reminder_patient, provider) -> None:
    patient = reminder_patient(now=BEFORE)
    tick(app, utc(2026, 6, 1, 8, 0, 10), provider)
    [record] = notifications_of(app, patient.id)
    with app.app_context():
        from server.access import Actor
        from server.reminders.services import snooze_notification

        actor = Actor(patient.id, "patient", patient.clinic_id)
        snooze_notification(actor, record["id"], minutes=10, now=utc(2026, 6, 1, 8, 1))
        db.session.commit()
    assert notifications_of(app, patient.id)[0]["status"] == "snoozed"
    tick(app, utc(2026, 6, 1, 8, 10), provider)
    assert len(provider.sent) == 1  # not yet: snoozed until 08:11
    tick(app, utc(2026, 6, 1, 8, 11, 30), provider)
    [again] = notifications_of(app, patient.id)
    assert again["status"] == "sent"
    assert again["snooze_count"] == 1
    assert [m.payload["notification_id"] for m in provider.sent] == [str(record["id"])] * 2
    tick(app, utc(2026, 6, 1, 8, 30), provider)
    assert len(provider.sent) == 2


def test_snooze_into_quiet_hours_is_suppressed(app, reminder_patient, provider) -> None:
    patient = reminder_patient(now=BEFORE, slots=[("evening", "21:55")])
    tick(app, utc(2026, 6, 1, 21, 55, 10), provider)
    [record] = notifications_of(app, patient.id)
    with app.app_context():
        db.session.execute(
            sa.update(Notification)
            .where(Notification.id == record["id"])
            .values(status="snoozed", snoozed_until=utc(2026, 6, 1, 22, 5), snooze_count=1)
        )
        db.session.commit()
    tick(app, utc(2026, 6, 1, 22, 5, 10), provider)
    assert notifications_of(app, patient.id)[0]["status"] == "suppressed"
    assert len(provider.sent) == 1


def test_dst_week_in_new_york_keeps_eight_oclock(app, reminder_patient, provider) -> None:
    tz = "America/New_York"
    march = MONDAY.replace(month=3)
    patient = reminder_patient(
        now=utc(2026, 3, 6), timezone=tz, slots=[("morning", "08:00")], start_date=march
    )
    for day in (6, 7, 8, 9):
        instant = at_local(MONDAY.replace(month=3, day=day), "08:00", tz)
        tick(app, instant + timedelta(seconds=30), provider)
    records = notifications_of(app, patient.id)
    assert [r["at"] for r in records] == [
        utc(2026, 3, 6, 13),
        utc(2026, 3, 7, 13),
        utc(2026, 3, 8, 12),
        utc(2026, 3, 9, 12),
    ]
    assert {r["status"] for r in records} == {"sent"}


def test_urgent_flag_alerts_the_therapist_through_the_outbox(app, reminder_patient, provider):
    patient = reminder_patient(now=BEFORE)
    flag_id = uuid.uuid4()

    class FlagStub:
        id = flag_id
        patient_id = patient.id

    with app.app_context():
        check_id = uuid.uuid4()
        assert enqueue_urgent_flag_alert(flag=FlagStub(), cause_id=check_id, now=BEFORE) == 1
        # idempotent per cause
        assert enqueue_urgent_flag_alert(flag=FlagStub(), cause_id=check_id, now=BEFORE) == 0
        db.session.commit()
    tick(app, BEFORE + timedelta(seconds=30), provider)
    [alert] = provider.sent
    assert (alert.channel, alert.kind, alert.recipient_id) == (
        "staff",
        "urgent_flag",
        patient.therapist_id,
    )
    assert alert.payload["flag_id"] == str(flag_id)
    assert [d["status"] for d in deliveries(app)] == ["sent"]


def test_daily_digest_once_after_local_eight(app, make_clinic, make_staff, make_patient, provider):
    from server.flags.models import Flag

    clinic = make_clinic(timezone="Europe/Istanbul")
    therapist = make_staff(clinic)
    patient = make_patient(therapist)
    with app.app_context():
        for flag_type, severity, status in [
            ("red_flag", "urgent", "open"),
            ("high_pain", "high", "acknowledged"),
            ("non_adherence", "low", "resolved"),
        ]:
            db.session.add(
                Flag(
                    clinic_id=clinic.id,
                    patient_id=patient.id,
                    type=flag_type,
                    severity=severity,
                    severity_rank=0,
                    status=status,
                    episode_start=MONDAY,
                    last_evidence_on=MONDAY,
                    suggested_action="review",
                )
            )
        db.session.commit()
        # 07:59 in Istanbul (UTC+3): not yet. 08:01: once. Again later that day: not again.
        assert digest_job(utc(2026, 6, 1, 4, 59), provider=provider) == 0
        assert digest_job(utc(2026, 6, 1, 5, 1), provider=provider) == 1
        assert digest_job(utc(2026, 6, 1, 9), provider=provider) == 0
        assert digest_job(utc(2026, 6, 2, 5, 1), provider=provider) == 1
        db.session.remove()
    assert [(m.kind, m.recipient_id) for m in provider.sent] == [
        ("flag_digest", therapist.id),
        ("flag_digest", therapist.id),
    ]
    assert provider.sent[0].payload["open_flags"] == 2
    assert "2 open flags" in provider.sent[0].body


def test_cleanup_deletes_old_final_deliveries(app, reminder_patient, provider) -> None:
    patient = reminder_patient(now=BEFORE)
    tick(app, utc(2026, 6, 1, 8, 0, 10), provider)
    with app.app_context():
        assert cleanup_job(utc(2026, 6, 20)) == 0
        assert cleanup_job(utc(2026, 7, 2)) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Delivery)) == 0
        db.session.remove()
    assert notifications_of(app, patient.id)[0]["status"] == "sent"


def test_reconcile_creates_missing_streams(app, make_patient, make_programme) -> None:
    patient = make_patient(timezone="UTC")
    make_programme(patient, start_date=MONDAY, effective_at=utc(2026, 1, 1))
    assert stream_due(app, patient.id, "session") is None
    with app.app_context():
        assert reconcile_streams_job(BEFORE) == 1
        assert reconcile_streams_job(BEFORE) == 0
        db.session.remove()
    assert stream_due(app, patient.id, "session") == utc(2026, 6, 1, 8)


def test_a_long_delivery_run_leases_each_batch_from_when_it_is_claimed(
    app, reminder_patient, monkeypatch
) -> None:
    """A run whose batches take 20 minutes each (a catch-up, a slow webhook) leases and backs
    off each batch from its own claim, not from the run's start: a lease counted from the start
    would have run out before the batch was even claimed, free for another process to resend."""
    patient = reminder_patient(now=BEFORE)
    flag_stub = type("FlagStub", (), {"patient_id": patient.id})
    with app.app_context():
        for _ in range(2):
            flag_stub.id = uuid.uuid4()
            enqueue_urgent_flag_alert(flag=flag_stub, cause_id=uuid.uuid4(), now=BEFORE)
        db.session.commit()
    elapsed = iter(range(0, 10_000, 1200))  # each reading of the run's clock: 20 minutes later
    monkeypatch.setattr(jobs, "monotonic", lambda: next(elapsed))
    leases = []

    class SlowFailingProvider(RecordingProvider):
        def send(self, message):
            with db.engine.connect() as connection:  # the claim is committed before sending
                leases.append(
                    connection.scalar(
                        sa.select(Delivery.next_attempt_at).where(
                            Delivery.id == message.delivery_id
                        )
                    )
                )
            return DeliveryResult(ok=False, retryable=True, error="timeout")

    run = BEFORE + timedelta(seconds=30)
    with app.app_context():
        jobs.deliver_pending(run, provider=SlowFailingProvider(), batch_size=1)
        db.session.remove()
    lease = timedelta(minutes=15)
    # Readings: start 0; batch 1 claimed at +20 min, answered at +40; batch 2 at +60, +80.
    assert leases == [run + timedelta(minutes=20) + lease, run + timedelta(minutes=60) + lease]
    retries = sorted(d["next_attempt_at"] for d in deliveries(app))
    assert retries[0] > run + timedelta(minutes=40)
    assert retries[1] > run + timedelta(minutes=80)


FAILED_ONCE = [DeliveryResult(ok=False, retryable=True, error="timeout")]


@pytest.mark.parametrize(
    ("retry_at", "meanwhile", "status"),
    [
        (utc(2026, 6, 1, 8, 5), "the session is logged", "suppressed"),
        (utc(2026, 6, 1, 8, 5), "quiet hours begin at 08:02", "suppressed"),
        (utc(2026, 6, 1, 8, 45), "nothing", "missed"),
        (utc(2026, 6, 1, 8, 5), "nothing", "sent"),
    ],
)
def test_a_retried_reminder_is_judged_again_when_it_would_go_out(
    app, reminder_patient, retry_at, meanwhile, status
) -> None:
    """The 08:00 push fails once. Its retry goes out only if it still may: not once the
    session is logged, not in quiet hours, not past the 30-minute grace."""
    quiet = {"quiet_start": time(8, 2), "quiet_end": time(8, 30)} if "quiet" in meanwhile else {}
    patient = reminder_patient(now=BEFORE, **quiet)
    provider = RecordingProvider(answers=list(FAILED_ONCE))
    tick(app, utc(2026, 6, 1, 8, 0, 20), provider)
    [record] = notifications_of(app, patient.id)
    assert record["status"] == "due"  # its push failed; a retry is queued
    if meanwhile == "the session is logged":
        _log_morning_session(app, patient, at=utc(2026, 6, 1, 8, 0, 40))
    tick(app, retry_at, provider)
    assert [n["status"] for n in notifications_of(app, patient.id)] == [status]
    assert len(provider.sent) == (2 if status == "sent" else 1)
    [delivery] = deliveries(app)
    if status == "sent":
        assert delivery["status"] == "sent"
    else:
        assert (delivery["status"], delivery["last_error"]) == ("dead", f"withheld: {status}")


def test_retries_in_one_batch_are_each_judged_by_their_own_records(app, reminder_patient) -> None:
    """Three patients with the same settings, whose 08:00 pushes all failed: one logs the
    session before the retries go out together. Only that one is withheld (the re-judgement
    shares a context between records only when everything it reads is the same)."""
    patients = [reminder_patient(now=BEFORE) for _ in range(3)]
    provider = RecordingProvider(answers=list(FAILED_ONCE) * 3)
    tick(app, utc(2026, 6, 1, 8, 0, 20), provider)
    _log_morning_session(app, patients[1], at=utc(2026, 6, 1, 8, 0, 40))
    tick(app, utc(2026, 6, 1, 8, 5), provider)
    statuses = [[n["status"] for n in notifications_of(app, p.id)] for p in patients]
    assert statuses == [["sent"], ["suppressed"], ["sent"]]
    assert len(provider.sent) == 3 + 2


def test_a_pending_push_of_a_snoozed_reminder_is_withheld(app, reminder_patient) -> None:
    """The 08:00 push failed; the patient snoozes the reminder from the inbox before the retry.
    The retry is withheld, and only the snooze's own round goes out, at 08:11."""
    patient = reminder_patient(now=BEFORE)
    provider = RecordingProvider(answers=list(FAILED_ONCE))
    tick(app, utc(2026, 6, 1, 8, 0, 20), provider)
    [record] = notifications_of(app, patient.id)
    with app.app_context():
        from server.access import Actor
        from server.reminders.services import snooze_notification

        actor = Actor(patient.id, "patient", patient.clinic_id)
        snooze_notification(actor, record["id"], minutes=10, now=utc(2026, 6, 1, 8, 0, 40))
        db.session.commit()
    tick(app, utc(2026, 6, 1, 8, 5), provider)
    assert len(provider.sent) == 1  # the failed first attempt only
    assert notifications_of(app, patient.id)[0]["status"] == "snoozed"
    tick(app, utc(2026, 6, 1, 8, 11), provider)
    assert len(provider.sent) == 2
    assert notifications_of(app, patient.id)[0]["status"] == "sent"
    assert sorted((d["status"], d["last_error"]) for d in deliveries(app)) == [
        ("dead", "withheld: snoozed"),
        ("sent", None),
    ]


def _open_flag(app, patient, clinic_id) -> None:
    from server.flags.models import Flag

    with app.app_context():
        db.session.add(
            Flag(
                clinic_id=clinic_id,
                patient_id=patient.id,
                type="high_pain",
                severity="high",
                severity_rank=0,
                status="open",
                episode_start=MONDAY,
                last_evidence_on=MONDAY,
                suggested_action="review",
            )
        )
        db.session.commit()


def _queue_urgent_alert(app, patient) -> tuple[uuid.UUID, int]:
    """An urgent flag's alert for ``patient``, queued at BEFORE: (flag id, rows queued)."""
    flag_id = uuid.uuid4()

    class FlagStub:
        id = flag_id
        patient_id = patient.id

    with app.app_context():
        queued = enqueue_urgent_flag_alert(flag=FlagStub(), cause_id=uuid.uuid4(), now=BEFORE)
        db.session.commit()
    return flag_id, queued


def _deactivate(app, user_id) -> None:
    from server.accounts.models import User

    with app.app_context():
        db.session.execute(sa.update(User).where(User.id == user_id).values(is_active=False))
        db.session.commit()


def test_a_leavers_patients_reach_the_admins_digest(
    app, make_clinic, make_staff, make_patient, provider
):
    clinic = make_clinic(timezone="Europe/Istanbul")
    admin, leaver, stays = (
        make_staff(clinic, role="clinic_admin"),
        make_staff(clinic),
        make_staff(clinic),
    )
    _open_flag(app, make_patient(leaver), clinic.id)
    _open_flag(app, make_patient(stays), clinic.id)
    _deactivate(app, leaver.id)
    with app.app_context():
        assert digest_job(utc(2026, 6, 1, 5, 1), provider=provider) == 2
        db.session.remove()
    digests = {m.recipient_id: m.payload["open_flags"] for m in provider.sent}
    assert digests == {admin.id: 1, stays.id: 1}


def test_an_urgent_alert_queued_for_a_leaver_goes_to_the_admins(
    app, make_clinic, make_staff, make_patient, provider
):
    clinic = make_clinic()
    admin, leaver = make_staff(clinic, role="clinic_admin"), make_staff(clinic)
    flag_id, queued = _queue_urgent_alert(app, make_patient(leaver))
    assert queued == 1
    _deactivate(app, leaver.id)  # after the alert was queued, before it went out

    tick(app, BEFORE + timedelta(seconds=30), provider)

    assert [(m.kind, m.recipient_id) for m in provider.sent] == [("urgent_flag", admin.id)]
    assert provider.sent[0].payload["flag_id"] == str(flag_id)
    closed = [d for d in deliveries(app) if d["recipient_id"] == leaver.id]
    assert [(d["status"], d["last_error"]) for d in closed] == [
        ("dead", "withheld: recipient inactive")
    ]


def test_a_rerouted_alert_reaches_each_admin_once(
    app, make_clinic, make_staff, make_patient, provider
):
    """With the therapist gone the alert went to both admins; one admin leaves before it went
    out: the other still gets it once, not a second copy re-routed from the leaver's."""
    clinic = make_clinic()
    first, second = make_staff(clinic, role="clinic_admin"), make_staff(clinic, role="clinic_admin")
    leaver = make_staff(clinic)
    patient = make_patient(leaver)
    _deactivate(app, leaver.id)
    assert _queue_urgent_alert(app, patient)[1] == 2
    _deactivate(app, first.id)

    tick(app, BEFORE + timedelta(seconds=30), provider)

    assert [(m.kind, m.recipient_id) for m in provider.sent] == [("urgent_flag", second.id)]


def test_a_rerouted_alert_follows_a_reassignment(
    app, make_clinic, make_staff, make_patient, provider
):
    from server.accounts.models import Patient

    clinic = make_clinic()
    make_staff(clinic, role="clinic_admin")
    leaver, successor = make_staff(clinic), make_staff(clinic)
    patient = make_patient(leaver)
    assert _queue_urgent_alert(app, patient)[1] == 1
    with app.app_context():
        db.session.execute(
            sa.update(Patient).where(Patient.id == patient.id).values(therapist_id=successor.id)
        )
        db.session.commit()
    _deactivate(app, leaver.id)

    tick(app, BEFORE + timedelta(seconds=30), provider)

    assert [(m.kind, m.recipient_id) for m in provider.sent] == [("urgent_flag", successor.id)]
