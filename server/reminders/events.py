"""How reminders react to other domains' events (the table: ``server/wiring.py``)."""

from __future__ import annotations

from server.accounts.models import User
from server.events import (
    ConsentWithdrawn,
    PasswordReset,
    PatientErased,
    ProgrammeEnded,
    ProgrammeRevised,
    RecordsIngested,
    RedFlagRaised,
    ScheduleChanged,
    handler,
)
from server.extensions import db
from server.flags.models import Flag
from server.reminders.replans import mark_replan, mark_replan_from
from server.reminders.services import (
    enqueue_consent_withdrawn_alert,
    enqueue_password_reset_notice,
    enqueue_urgent_flag_alert,
    erase_patient_reminders,
    refresh_reminder_streams,
    stop_reminders,
)

# Kinds of record whose arrival replans the patient's reminders.
REPLANS_REMINDERS = frozenset({"session_log", "posture_break", "measure_response"})


@handler()
def replan(event: ScheduleChanged | ProgrammeRevised | ProgrammeEnded) -> None:
    """Recompute the patient's reminder streams from what is now prescribed and preferred."""
    refresh_reminder_streams(event.patient_id, event.now)


@handler(when=lambda event: bool(event.kinds & REPLANS_REMINDERS), statement=mark_replan_from)
def replan_after_records(event: RecordsIngested) -> None:
    """A logged session or an answered questionnaire needs no reminder; a logged posture break
    restarts the countdown: the next dispatch tick replans, before it claims anything due."""
    mark_replan(event.patient_id, event.clinic_id, event.now)


@handler()
def alert_therapist(event: RedFlagRaised) -> None:
    """Alert the patient's therapist about the red flag at once (next dispatch tick)."""
    flag = db.session.get(Flag, event.flag_id)
    enqueue_urgent_flag_alert(flag=flag, cause_id=event.cause_id, now=event.now)


@handler()
def notify_password_reset(event: PasswordReset) -> None:
    """Tell the patient's phones that a clinic-issued code set their password again."""
    user = db.session.get(User, event.user_id)
    enqueue_password_reset_notice(user=user, invitation_id=event.invitation_id, now=event.now)


@handler()
def stop_after_withdrawal(event: ConsentWithdrawn) -> None:
    """No more reminders for the patient; their therapist hears of the withdrawal at once."""
    stop_reminders(event.patient_id, event.now)
    enqueue_consent_withdrawn_alert(
        patient_id=event.patient_id, consent_id=event.consent_id, now=event.now
    )


@handler()
def erase(event: PatientErased) -> None:
    """Reminders, the inbox, pushes and devices of an erased patient go."""
    erase_patient_reminders(event.patient_id, event.clinic_id)
