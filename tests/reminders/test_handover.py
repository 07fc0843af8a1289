"""A stream claim hands its new pushes to the tick that claimed them, on both databases: queued
already leased, sent as the batch commits, and left to the outbox only if the tick dies first."""

from __future__ import annotations

from datetime import timedelta

from server.commit import committed
from server.extensions import db
from server.reminders import jobs
from server.reminders.dispatch import claim_due_streams
from server.reminders.jobs import deliver_pending, dispatch_tick
from server.reminders.leases import LEASE
from tests.reminders.conftest import RecordingProvider, deliveries, notifications_of, utc

BEFORE = utc(2026, 6, 1, 6)  # Monday 06:00 UTC
DUE = utc(2026, 6, 1, 8, 0, 20)  # the morning session, 20 s late


def test_a_claimed_push_goes_out_with_its_batch_as_its_first_attempt(
    app, reminder_patient, provider
) -> None:
    patient = reminder_patient(now=BEFORE)
    with app.app_context():
        report = dispatch_tick(DUE, batch_size=50, provider=provider)
        db.session.remove()
    assert report.deliveries == {"sent": 1}
    [message] = provider.sent
    [record] = notifications_of(app, patient.id)
    assert message.payload == {
        "notification_id": str(record["id"]),
        "kind": "session",
        "title": "Exercise time",
        "body": record["message"],
    }
    assert (message.attempt, message.recipient_id) == (1, patient.id)
    [row] = deliveries(app)
    assert (row["status"], row["attempts"], row["next_attempt_at"]) == ("sent", 1, None)
    assert row["payload"] == message.payload  # what went out is what the outbox row holds
    assert record["status"] == "sent"


def test_a_tick_dying_before_it_sends_leaves_the_push_to_the_outbox_after_the_lease(
    app, reminder_patient
) -> None:
    """The claim commits the push leased to its tick; if that tick never sends it, no other
    process does before the lease ends, and then the outbox sends it exactly once."""
    patient = reminder_patient(now=BEFORE)
    with app.app_context():
        with committed():
            result = claim_due_streams(DUE, 50, DUE + LEASE)  # then the process dies
        assert [h.recipient_id for h in result.handed] == [patient.id]
        [row] = deliveries(app)
        assert (row["status"], row["attempts"], row["next_attempt_at"]) == (
            "pending",
            1,
            DUE + LEASE,
        )
        other = RecordingProvider()
        assert deliver_pending(DUE + LEASE - timedelta(seconds=1), provider=other) == {}
        assert other.sent == []
        db.session.remove()
    # A session reminder 15 minutes late is still within its grace period: sent, once.
    with app.app_context():
        assert deliver_pending(DUE + LEASE, provider=other) == {"sent": 1}
        assert deliver_pending(DUE + LEASE + timedelta(minutes=1), provider=other) == {}
        db.session.remove()
    assert [(m.delivery_id, m.attempt) for m in other.sent] == [(row["id"], 2)]
    assert [r["status"] for r in notifications_of(app, patient.id)] == ["sent"]


def test_without_a_lease_the_claim_queues_pushes_for_the_outbox(app, reminder_patient) -> None:
    reminder_patient(now=BEFORE)
    with app.app_context():
        with committed():
            result = claim_due_streams(DUE, 50)
        assert result.handed == []
        [row] = deliveries(app)
        assert (row["status"], row["attempts"], row["next_attempt_at"]) == ("pending", 0, DUE)
        db.session.remove()


def test_a_batch_holds_no_more_streams_than_the_provider_sends_in_a_lease(
    app, reminder_patient, monkeypatch, backend
) -> None:
    for _ in range(5):
        reminder_patient(now=BEFORE)
    sizes = []

    def claim(now, batch_size, lease_until=None):
        sizes.append(batch_size)
        return claim_due_streams(now, batch_size, lease_until)

    monkeypatch.setattr(jobs, "claim_due_streams", claim)
    provider = RecordingProvider()
    provider.batch_size = 2
    with app.app_context():
        report = dispatch_tick(DUE, batch_size=50, provider=provider)
        db.session.remove()
    # On PostgreSQL two claim workers go on after the first full batch, and each ends on a
    # short one (one of them empty): a fourth claim. None asks for more than 2.
    assert sizes == ([2, 2, 2, 2] if backend == "postgresql" else [2, 2, 2])
    assert report.streams == 5
    assert report.deliveries == {"sent": 5}
    assert len(provider.sent) == 5
