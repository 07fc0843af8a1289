"""How programmes react to other domains' events (the table: ``server/wiring.py``)."""

from __future__ import annotations

import sqlalchemy as sa

from server.events import PatientErased, handler
from server.extensions import db
from server.programmes.models import Programme, ProgrammeRevision

# What an erased patient's revisions say in place of the therapist's own words.
ERASED_REASON = "erased"


@handler()
def erase(event: PatientErased) -> None:
    """An erased patient's programmes are deleted, or kept without the therapists' free text
    about them (revision reasons, end reasons), as the clinic's retention says."""
    patient = event.patient_id
    if event.retention == "delete":
        db.session.execute(
            sa.delete(ProgrammeRevision).where(ProgrammeRevision.patient_id == patient)
        )
        db.session.execute(sa.delete(Programme).where(Programme.patient_id == patient))
        return
    db.session.execute(
        sa.update(ProgrammeRevision)
        .where(ProgrammeRevision.patient_id == patient)
        .values(reason=ERASED_REASON)
    )
    db.session.execute(
        sa.update(Programme)
        .where(Programme.patient_id == patient, Programme.end_reason.is_not(None))
        .values(end_reason=ERASED_REASON)
    )
