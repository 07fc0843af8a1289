"""How the flag engine reacts to other domains' events (the table: ``server/wiring.py``)."""

from __future__ import annotations

from server.events import (
    ProgrammeEnded,
    ProgrammeRevised,
    RecordsIngested,
    handler,
)
from server.extensions import db
from server.flags import queue, services
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
