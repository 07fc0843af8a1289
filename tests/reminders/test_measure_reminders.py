"""A due outcome questionnaire gets one reminder on its due date, through the same streams and
outbox as sessions, in the patient's language, never inside quiet hours; answering it first
leaves nothing to send."""

from __future__ import annotations

from datetime import time

import sqlalchemy as sa

from server.extensions import db
from server.measures.models import MeasureSchedule
from server.programmes.models import Programme
from server.reminders.jobs import dispatch_tick
from server.reminders.services import refresh_reminder_streams
from tests.reminders.conftest import notifications_of, stream_due, utc

BEFORE = utc(2026, 6, 1, 6)  # Monday 06:00 UTC; the programme starts that day


def _schedule_ndi_weekly(app, patient) -> None:
    """NDI every week from the start: the first falls due on Monday 8 June."""
    with app.app_context():
        programme = db.session.scalar(
            sa.select(Programme).where(Programme.patient_id == patient.id)
        )
        db.session.add(
            MeasureSchedule(
                clinic_id=programme.clinic_id,
                patient_id=patient.id,
                programme_id=programme.id,
                measure_code="NDI",
                at_start=False,
                every_weeks=1,
                at_end=False,
                window_days=7,
                created_by=programme.created_by,
            )
        )
        refresh_reminder_streams(patient.id, BEFORE)
        db.session.commit()


def tick(app, now, provider):
    with app.app_context():
        report = dispatch_tick(now, batch_size=50, provider=provider)
        db.session.remove()
        return report


def test_a_due_questionnaire_is_announced_on_its_due_date_in_the_patients_language(
    app, reminder_patient, provider, measure_library
) -> None:
    patient = reminder_patient(now=BEFORE, language="tr", slots=())
    _schedule_ndi_weekly(app, patient)
    assert stream_due(app, patient.id, "measure") == utc(2026, 6, 8, 10)
    tick(app, utc(2026, 6, 8, 10, 0, 20), provider)
    (record,) = [n for n in notifications_of(app, patient.id) if n["kind"] == "measure"]
    assert record["status"] == "sent"
    assert record["message"] == (
        "Fizyoterapistiniz nasıl olduğunuzu soruyor: uygulamada sizi kısa bir anket bekliyor."
    )
    assert [m.recipient_id for m in provider.sent] == [patient.id]
    # The next one a week later.
    assert stream_due(app, patient.id, "measure") == utc(2026, 6, 15, 10)


def test_never_inside_quiet_hours(app, reminder_patient, provider, measure_library) -> None:
    patient = reminder_patient(now=BEFORE, slots=(), quiet_start=time(9, 0), quiet_end=time(11, 0))
    _schedule_ndi_weekly(app, patient)
    tick(app, utc(2026, 6, 8, 10, 0, 20), provider)
    (record,) = [n for n in notifications_of(app, patient.id) if n["kind"] == "measure"]
    assert record["status"] == "suppressed"
    assert provider.sent == []
