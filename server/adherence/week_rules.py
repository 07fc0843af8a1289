"""Pure arithmetic of the patient list's 7-day adherence, read from packed ranks: each logged
slot's best status ranks (``rules.STATUS_RANK``) two bits a day from the window's first.

Gives what :func:`server.adherence.rules.window_ratio` gives for the same logs (tested so).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import NamedTuple

from server.adherence.rules import Revision, session_ratio
from server.programmes.rules import schedule_slots


class SlotDays(NamedTuple):
    """The days of a window a slot is prescribed, as masks over its packed ranks (two bits a
    day from the window's first): a 1 at the low bit of each such day (``due``) and of each
    such day already over (``over``). A slot prescribed twice a day takes two."""

    slot: str
    due: int
    over: int


def prescribed_in_window(
    *, days: Sequence[date], revisions: Sequence[Revision | None], first: date, today: date
) -> list[SlotDays]:
    """Each slot the revisions in force (``revisions[i]`` on ``days[i]``) prescribe, as
    :func:`packed_ratio` reads the ranks; it depends on the schedules only, so patients on one
    schedule in one time zone share it."""
    masks: dict[str, list[list[int]]] = {}  # per slot, [due, over] (more than one if repeated)
    for day, revision in zip(days, revisions, strict=True):
        if revision is None or day.isoweekday() not in revision.schedule.get("days", []):
            continue
        bit, over = 1 << 2 * (day - first).days, day < today
        for scheduled in schedule_slots(revision.schedule):
            layers = masks.setdefault(scheduled.slot, [])
            layer = next((m for m in layers if not m[0] & bit), None)
            if layer is None:
                layers.append(layer := [0, 0])
            layer[0] |= bit
            layer[1] |= bit if over else 0
    return [SlotDays(slot, due, over) for slot, layers in masks.items() for due, over in layers]


def packed_ratio(prescribed: Iterable[SlotDays], ranks: Mapping[str, int]) -> float | None:
    """:func:`window_ratio` of the ``prescribed`` slots, given each logged slot's best status
    ranks (``STATUS_RANK``: skipped 1, partial 2, completed 3) packed two bits a day: a page of
    patients reads one number a slot, and counts a slot's days at once, bit by bit. An unlogged
    slot is missing once its day is over, else pending (not due)."""
    completed = partial = due = 0
    for slot, days, over in prescribed:
        low = ranks.get(slot, 0)
        high = low >> 1  # each day's high bit moved onto its low bit
        completed += (low & high & days).bit_count()
        partial += (high & ~low & days).bit_count()
        due += (low & ~high & days).bit_count() + (~(low | high) & over).bit_count()
    return session_ratio(completed, partial, due + completed + partial)
