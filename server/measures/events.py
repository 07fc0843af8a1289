"""How outcome measures react to other domains' events (the table: ``server/wiring.py``)."""

from __future__ import annotations

import sqlalchemy as sa

from server.events import PatientErased, handler
from server.extensions import db
from server.measures.models import MeasureResponse, MeasureSchedule


@handler()
def erase(event: PatientErased) -> None:
    """An erased patient's responses and schedules are deleted, or kept without the activities
    the patient named in their own words (PSFS), as the clinic's retention says."""
    if event.retention == "delete":
        for model in (MeasureResponse, MeasureSchedule):
            db.session.execute(sa.delete(model).where(model.patient_id == event.patient_id))
        return
    responses = db.session.scalars(
        sa.select(MeasureResponse).where(MeasureResponse.patient_id == event.patient_id)
    )
    for response in responses:
        if any("activity" in answer for answer in response.answers):
            response.answers = [
                {key: value for key, value in answer.items() if key != "activity"}
                for answer in response.answers
            ]
