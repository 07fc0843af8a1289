"""The prescriptions session logs are checked against: the revision in force on each date,
remembered per worker for logs posted alone, and every revision's items and slots."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import cachetools
import sqlalchemy as sa

from server.clock import day_bounds_utc
from server.extensions import db
from server.programmes import queries as programme_queries
from server.programmes.in_force import InForce, in_force_on
from server.programmes.models import Programme, ProgrammeRevision
from server.tracking.rules import Prescription

# The revision in force per patient and local date, remembered between one patient's session
# logs posted alone (their commonest write): a log checked against it is stored only while it is
# still in force (:func:`server.programmes.in_force.still_in_force`, in the insert's own
# statement), so a therapist's change costs the next log a retry, never a wrong record.
_in_force_days: cachetools.TTLCache = cachetools.TTLCache(maxsize=4096, ttl=300)
_in_force_lock = threading.Lock()


class PrescriptionChanged(Exception):
    """The remembered revision in force is no longer in force: store the log again, afresh."""


def _remembered_in_force(patient_id: uuid.UUID, day: date, tz: ZoneInfo) -> InForce | None:
    key = (patient_id, day, tz.key)
    with _in_force_lock:
        found = _in_force_days.get(key)
    if found is None:
        found = in_force_on(patient_id, day, tz)
        if found is not None and found.revision:
            with _in_force_lock:
                _in_force_days[key] = found
    return found


def forget_in_force(patient_id: uuid.UUID, day: date, tz: ZoneInfo) -> None:
    """Drop the remembered revision in force (it was found changed)."""
    with _in_force_lock:
        _in_force_days.pop((patient_id, day, tz.key), None)


def prescriptions(
    patient_id: uuid.UUID,
    days: Sequence[date],
    tz: ZoneInfo,
    *,
    complete: bool = False,
    remembered: bool = False,
) -> dict[date, Prescription | None]:
    """The revision in force on each local date of ``days`` (one per session log), None where
    none was: one query for a single log, two for a batch (its whole span at once), and one more
    for the items and slots it may name (see :func:`_prescribed_by`).

    A single log, unless ``complete``: one query, and the items and slots of the revision in
    force only (``Prescription.complete`` false). They are a subset of what the log may name,
    so a log they accept is accepted; the caller asks again, complete, for one they refuse.
    ``remembered``: no query while this worker remembers the day's revision; the caller must
    then store the log only if it is still in force (``one_record.insert_one``'s
    ``in_force_until``).
    """
    if not days:
        return {}
    if len(days) == 1:
        (day,) = days
        if remembered and not complete:
            found = _remembered_in_force(patient_id, day, tz)
        else:
            found = in_force_on(patient_id, day, tz)
        if found is None or not found.revision:
            return {day: None}
        if not complete:
            slots = frozenset(s["slot"] for s in found.schedule.get("slots", []))
            return {
                day: Prescription(
                    found.programme_id, found.revision, found.items, slots, complete=False
                )
            }
        in_force = {day: (found.programme_id, found.revision)}
    else:
        span = programme_queries.revisions_between(patient_id, min(days), max(days), tz)
        in_force = {d: (r.programme_id, r.number) if r else None for d, r in span.items()}
    prescribed = _prescribed_by(patient_id, [day_bounds_utc(d, tz)[1] for d in in_force])
    return {
        day: Prescription(found[0], found[1], *prescribed(day_bounds_utc(day, tz)[1]))
        if found
        else None
        for day, found in in_force.items()
    }


def _prescribed_by(patient_id: uuid.UUID, day_ends: Sequence[datetime]) -> Any:
    """A function of a day's end giving the items (newest revision first) and the session slots
    of every revision of the patient's programmes effective before it, from one query.

    Not only the revision in force at the day's end: a log written offline in the morning may
    name an item or slot that a revision (or a replacing programme) took away that afternoon,
    and a real session must not be refused for it. What no revision ever held is still refused.
    """
    rows = db.session.execute(
        sa.select(
            ProgrammeRevision.effective_at, ProgrammeRevision.items, ProgrammeRevision.schedule
        )
        .join(Programme, Programme.id == ProgrammeRevision.programme_id)
        .where(Programme.patient_id == patient_id, ProgrammeRevision.effective_at < max(day_ends))
        .order_by(ProgrammeRevision.effective_at.desc(), ProgrammeRevision.number.desc())
    ).all()

    def by(day_end: datetime) -> tuple[list[Any], frozenset[str]]:
        effective = [(items, schedule) for at, items, schedule in rows if at < day_end]
        items = [item for revision_items, _ in effective for item in revision_items or []]
        slots = {s["slot"] for _, schedule in effective for s in (schedule or {}).get("slots", [])}
        return items, frozenset(slots)

    return by


def checked_until(
    prescribed: Mapping[date, Prescription | None], days: Sequence[date], tz: ZoneInfo
) -> datetime | None:
    """The end of a lone session log's date when it was checked against a remembered revision
    (one not ``complete``), which must then still be in force as it is stored."""
    if len(days) != 1 or (found := prescribed.get(days[0])) is None or found.complete:
        return None
    return day_bounds_utc(days[0], tz)[1]
