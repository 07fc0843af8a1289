"""How calendar feeds react to other domains' events (the table: ``server/wiring.py``)."""

from __future__ import annotations

import sqlalchemy as sa

from server.calendar.models import CalendarFeed
from server.events import ConsentWithdrawn, PatientErased, handler
from server.extensions import db


@handler()
def revoke_after_withdrawal(event: ConsentWithdrawn) -> None:
    """A feed is a reminder too: withdrawing consent revokes it, and the patient makes a new one
    after consenting again."""
    db.session.execute(
        sa.update(CalendarFeed)
        .where(CalendarFeed.patient_id == event.patient_id, CalendarFeed.revoked_at.is_(None))
        .values(revoked_at=event.now)
    )


@handler()
def erase(event: PatientErased) -> None:
    """An erased patient's feeds are deleted whatever the retention: no clinical record."""
    db.session.execute(sa.delete(CalendarFeed).where(CalendarFeed.patient_id == event.patient_id))
