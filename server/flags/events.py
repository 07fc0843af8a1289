"""How the flag engine reacts to other domains' events (the table: ``server/wiring.py``)."""

from __future__ import annotations

import sqlalchemy as sa

from server.events import (
    ConsentWithdrawn,
    PatientErased,
    ProgrammeEnded,
    ProgrammeRevised,
    RecordsIngested,
    handler,
)
from server.extensions import db
from server.flags import queue, services
from server.flags.models import ACTIVE_STATUSES, Flag, FlagEvaluationState
from server.tracking.models import SymptomCheck


@handler(when=lambda event: bool(event.urgent_checks))
def raise_red_flags(event: RecordsIngested) -> None:
    """A symptom check with a danger sign opens (or adds to) the patient's red flag at once."""
    for check_id in event.urgent_checks:
        services.raise_red_flag(check=db.session.get(SymptomCheck, check_id), now=event.now)


@handler(when=lambda event: bool(event.days), statement=queue.mark_due_from)
def queue_ingested_days(event: RecordsIngested) -> None:
    """Queue the patient's flags for re-evaluation from the earliest day the records fall on."""
    services.queue_evaluation(
        patient_id=event.patient_id, clinic_id=event.clinic_id, days=set(event.days), now=event.now
    )


@handler()
def queue_from_revision(event: ProgrammeRevised) -> None:
    """Re-evaluate from the day a new revision takes effect: adherence is judged against the new
    prescription, and a progression makes a flare-up expected."""
    services.queue_evaluation(
        patient_id=event.patient_id,
        clinic_id=event.clinic_id,
        days={event.effective_on},
        now=event.now,
    )


@handler()
def queue_from_end(event: ProgrammeEnded) -> None:
    """Re-evaluate from the programme's last day: its adherence and progression flags close."""
    services.queue_evaluation(
        patient_id=event.patient_id, clinic_id=event.clinic_id, days={event.last_day}, now=event.now
    )


@handler()
def stop_evaluating(event: ConsentWithdrawn) -> None:
    """No more evaluation for a patient who withdrew consent (consenting again re-queues them
    with their next record; the sweep skips them meanwhile)."""
    db.session.execute(
        sa.update(FlagEvaluationState)
        .where(FlagEvaluationState.patient_id == event.patient_id)
        .values(next_sweep_at=None, pending_from=None)
    )


@handler()
def erase(event: PatientErased) -> None:
    """An erased patient's flags leave the review queue: deleted, or kept closed without the
    therapists' notes about them, as the clinic's retention says."""
    state = sa.delete(FlagEvaluationState).where(FlagEvaluationState.patient_id == event.patient_id)
    db.session.execute(state)
    if event.retention == "delete":
        db.session.execute(sa.delete(Flag).where(Flag.patient_id == event.patient_id))
        return
    db.session.execute(
        sa.update(Flag)
        .where(Flag.patient_id == event.patient_id, Flag.status.in_(ACTIVE_STATUSES))
        .values(
            status="auto_resolved", auto_resolution_reason="patient_erased", updated_at=event.now
        )
    )
    db.session.execute(
        sa.update(Flag).where(Flag.patient_id == event.patient_id).values(resolution_note=None)
    )
