"""Deterministic generated history for the demo patients (pure: no database, no Flask).

Two stories over 28 local days, day 0 being the programme start and day 27 today:

- ``flare``: pain 3 in the first week, 2–3 in the second; the programme is progressed on day 14,
  pain rises to 6 after that day's session (an expected flare) and settles to ≤ 4 on days 15
  and 16, then stays at 2–3.
- ``worsening``: steady pain 2–3 until day 17; from day 18 pain climbs to 5–7 and stays there,
  with more headache days and more partial or skipped sessions.

Every record gets a deterministic UUID (uuid5), so planning twice yields the same records.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from server.clock import local_to_utc
from server.programmes.rules import scheduled_slots

HISTORY_DAYS = 28
PROGRESSION_DAY = 14
WORSENING_FROM = 18
WORSENING_PAIN = [5, 5, 6, 6, 6, 7, 6, 7, 7, 7]
NAMESPACE = uuid.UUID("5d6f3f0e-6a35-4c1e-9a55-0c2b0f7d2a10")
TRIGGERS = ["neck_movement", "posture", "screen", "stress"]
# Local times the phone syncs what it recorded since the previous sync.
SYNC_TIMES = [(9, 0), (18, 5), (21, 5)]


@dataclass(frozen=True)
class Dose:
    """A programme item as the patient does it: its stable id and the prescribed sets/reps."""

    item_id: str
    sets: int
    reps: int


@dataclass(frozen=True)
class Planned:
    """Records the phone sends together at instant ``at`` (the server's ``now`` for them)."""

    at: datetime
    items: list[tuple[str, dict[str, Any]]]


def pain_level(story: str, day: int, rng: random.Random) -> int:
    """The day's pain (daily max) for a story: the backbone every record is derived from."""
    if story == "flare":
        if day < 7:
            return 3
        flare = {PROGRESSION_DAY: 6, PROGRESSION_DAY + 1: 4, PROGRESSION_DAY + 2: 3}
        return flare.get(day, rng.choice([2, 2, 3]))
    if day >= WORSENING_FROM:
        return WORSENING_PAIN[min(day - WORSENING_FROM, len(WORSENING_PAIN) - 1)]
    return rng.choice([2, 2, 3])


def morning_pain(story: str, day: int, level: int, rng: random.Random) -> int:
    """The morning rating. The flare story improves week on week before the progression (the
    flare starts after that day's morning rating), so morning pain never rises two weeks running.
    """
    if story == "flare":
        if day < 7:
            return 3
        if day <= PROGRESSION_DAY:
            return 2
        if day == PROGRESSION_DAY + 1:
            return 4
        return rng.choice([1, 2])
    return max(level - rng.choice([0, 1]), 0)


def session_status(story: str, day: int, rng: random.Random) -> str:
    """Mostly completed; in the worsening phase often partial or skipped."""
    if story == "worsening" and day >= WORSENING_FROM:
        return rng.choices(["completed", "partial", "skipped"], weights=[5, 3, 2])[0]
    return rng.choices(["completed", "partial"], weights=[9, 1])[0]


def is_headache_day(story: str, day: int) -> bool:
    """Two headache days a week, plus the flare day, or every other day when worsening."""
    if story == "flare" and day == PROGRESSION_DAY:
        return True
    if story == "worsening" and day >= WORSENING_FROM:
        return day % 2 == 0
    return day % 7 in (2, 5)


def plan_history(
    *,
    key: str,
    story: str,
    start: date,
    tz: ZoneInfo,
    schedule_on: Callable[[int], dict[str, Any]],
    doses_on: Callable[[int, str], Sequence[Dose]],
    work_days: Sequence[int],
    seed: int,
) -> list[Planned]:
    """Every upload of the 28 days, in time order; ``key`` makes the record ids unique."""
    rng = random.Random(seed)
    counter = iter(range(1_000_000))

    def new_id() -> str:
        return str(uuid.uuid5(NAMESPACE, f"{key}:{next(counter)}"))

    def at(day: date, hour: int, minute: int = 0) -> datetime:
        return local_to_utc(day, time(hour, minute), tz)

    plan: list[Planned] = []
    for n in range(HISTORY_DAYS):
        day = start + timedelta(days=n)
        level = pain_level(story, n, rng)
        records: list[tuple[datetime, str, dict[str, Any]]] = []
        if n == 0:
            records.append((at(day, 7, 0), "symptom_check", {"answers": {}}))
        score = morning_pain(story, n, level, rng)
        records.append((at(day, 7, 30), "pain_rating", {"score": score, "context": "morning"}))
        for slot in scheduled_slots(schedule_on(n), day):
            sent = local_to_utc(day, slot.time, tz) + timedelta(minutes=40)
            status = session_status(story, n, rng)
            log = _session_log(day, slot.slot, status, level, doses_on(n, slot.slot), rng)
            records.append((sent, "session_log", log))
        if day.isoweekday() in work_days:
            for i in sorted(rng.sample(range(13), rng.randint(6, 11))):
                records.append((at(day, 9, 40) + timedelta(minutes=40 * i), "posture_break", {}))
        if is_headache_day(story, n):
            started = at(day, 15, rng.choice([0, 15, 30]))
            headache = {
                "started_at": started.isoformat(),
                "duration_minutes": rng.choice([60, 90, 120, 150]),
                "intensity": level,
                "side": "right",
                "triggers": rng.sample(TRIGGERS, 2),
                "medication_taken": level >= 5,
            }
            records.append((started + timedelta(hours=2, minutes=45), "headache_entry", headache))
        records.append((at(day, 21, 0), "pain_rating", {"score": level, "context": "evening"}))
        stamped = [
            (when, kind, {"id": new_id(), "recorded_at": when.isoformat(), **data})
            for when, kind, data in records
        ]
        plan += _uploads(stamped, [at(day, h, m) for h, m in SYNC_TIMES])
    return plan


def _uploads(
    records: list[tuple[datetime, str, dict[str, Any]]], sync_times: list[datetime]
) -> list[Planned]:
    """The phone syncs at a few fixed times a day, each time sending what it recorded since."""
    uploads = []
    pending = sorted(records, key=lambda r: r[0])
    for sync_at in sync_times:
        due = [(kind, data) for when, kind, data in pending if when <= sync_at]
        pending = [r for r in pending if r[0] > sync_at]
        if due:
            uploads.append(Planned(sync_at, due))
    if pending:
        uploads.append(Planned(pending[-1][0], [(kind, data) for _, kind, data in pending]))
    return uploads


def _session_log(
    day: date,
    slot: str,
    status: str,
    level: int,
    doses: Sequence[Dose],
    rng: random.Random,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "date": day.isoformat(),
        "slot": slot,
        "status": status,
    }
    if status == "skipped":
        return body
    share = 1.0 if status == "completed" else 0.5
    body["items"] = [
        {"item_id": d.item_id, "sets_done": max(1, round(d.sets * share)), "reps_done": d.reps}
        for d in doses
    ]
    body["exertion"] = min(3 + rng.choice([0, 1]) + (level >= 5), 10)
    body["pain_during"] = max(level - 1, 0)
    body["pain_after"] = level
    return body
