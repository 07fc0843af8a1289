"""How tracking reacts to other domains' events (the table: ``server/wiring.py``)."""

from __future__ import annotations

import sqlalchemy as sa

from server.events import PatientErased, handler
from server.extensions import db
from server.tracking.models import (
    HeadacheEntry,
    PainDay,
    PainRating,
    PatientActivity,
    PostureBreak,
    SessionDay,
    SessionLog,
    SymptomCheck,
)

RECORDS = (SessionLog, PainRating, HeadacheEntry, PostureBreak, SymptomCheck)


@handler()
def erase(event: PatientErased) -> None:
    """An erased patient's records are deleted, or kept without their free text (notes, the
    triggers they typed), as the clinic's retention says; the summaries of the records
    (``PainDay``, ``PatientActivity``, ``SessionDay``) go or stay with them."""
    if event.retention == "delete":
        for model in (PainDay, PatientActivity, SessionDay, *RECORDS):
            db.session.execute(sa.delete(model).where(model.patient_id == event.patient_id))
        return
    db.session.execute(
        sa.update(SessionLog).where(SessionLog.patient_id == event.patient_id).values(notes=None)
    )
    db.session.execute(
        sa.update(HeadacheEntry)
        .where(HeadacheEntry.patient_id == event.patient_id)
        .values(notes=None, triggers=[])
    )
