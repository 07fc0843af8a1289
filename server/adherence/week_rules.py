"""Pure arithmetic of the patient list's 7-day adherence, read from packed ranks: each logged
slot's best status ranks (``rules.STATUS_RANK``) two bits a day from the window's first.

Gives what :func:`server.adherence.rules.window_ratio` gives for the same logs (tested so).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import NamedTuple

from server.adherence.rules import STATUS_RANK, Revision, session_ratio
from server.programmes.rules import schedule_slots

COMPLETED, PARTIAL = STATUS_RANK["completed"], STATUS_RANK["partial"]


class Prescribed(NamedTuple):
    """A slot prescribed on a day of a window: its shift in the packed ranks (two bits a day
    from the window's first), its name, and whether its day is over."""

    shift: int
    slot: str
    over: bool


def prescribed_in_window(
    *, days: Sequence[date], revisions: Sequence[Revision | None], first: date, today: date
) -> list[Prescribed]:
    """Each slot the revisions in force (``revisions[i]`` on ``days[i]``) prescribe, as
    :func:`packed_ratio` reads the ranks; it depends on the schedules only, so patients on one
    schedule in one time zone share it."""
    prescribed = []
    for day, revision in zip(days, revisions, strict=True):
        if revision is None or day.isoweekday() not in revision.schedule.get("days", []):
            continue
        shift, over = 2 * (day - first).days, day < today
        prescribed += [Prescribed(shift, s.slot, over) for s in schedule_slots(revision.schedule)]
    return prescribed


def packed_ratio(prescribed: Iterable[Prescribed], ranks: Mapping[str, int]) -> float | None:
    """:func:`window_ratio` of the ``prescribed`` slots, given each logged slot's best status
    ranks (``STATUS_RANK``) packed two bits a day: a page of patients reads one number a slot.
    An unlogged slot is missing once its day is over, else pending (not due)."""
    completed = partial = due = 0
    for shift, slot, over in prescribed:
        rank = ranks.get(slot, 0) >> shift & 3
        if rank == COMPLETED:
            completed += 1
        elif rank == PARTIAL:
            partial += 1
        elif rank or over:
            due += 1
    return session_ratio(completed, partial, due + completed + partial)
