"""Programme rules at their edges: ladder ends, dosage bounds, slot order, the posture-break count
at exact multiples, revisions taking effect exactly at a local midnight (Istanbul and a London
DST day), effective times and session statuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from server.clock import format_hhmm, local_date_of, local_to_utc, parse_hhmm
from server.programmes import rules
from server.programmes.rules import LadderEndError, ScheduledSession, Slot

ISTANBUL = ZoneInfo("Europe/Istanbul")  # UTC+3 all year
LONDON = ZoneInfo("Europe/London")
TICK = timedelta(microseconds=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@dataclass(frozen=True)
class Rev:
    number: int
    effective_at: datetime


# --- ladders and dosage -------------------------------------------------------------------


def test_ladder_end_error_says_where_and_keeps_its_fields():
    with pytest.raises(LadderEndError) as top:
        rules.move_level(4, 4, "progress")
    assert str(top.value) == "Already at level 4 of 4, the top of its ladder."
    assert (top.value.level, top.value.ladder_len, top.value.direction) == (4, 4, "progress")
    with pytest.raises(LadderEndError) as bottom:
        rules.move_level(4, 1, "regress")
    assert str(bottom.value) == "Already at level 1 of 4, the bottom of its ladder."


@pytest.mark.parametrize(
    ("ladder_len", "level", "message"),
    [
        (0, 1, "level 1 is outside a ladder of 0 levels"),
        (3, 0, "level 0 is outside a ladder of 3 levels"),
        (3, 4, "level 4 is outside a ladder of 3 levels"),
    ],
)
def test_levels_outside_the_ladder_are_refused(ladder_len, level, message):
    with pytest.raises(ValueError, match=message) as raised:
        rules.move_level(ladder_len, level, "progress")
    assert not isinstance(raised.value, LadderEndError)


def test_unknown_direction_is_refused_by_name():
    with pytest.raises(ValueError, match=r"direction must be one of \['progress', 'regress'\]"):
        rules.move_level(3, 2, "up")


LADDER = [{"sets": n, "reps": 10 * n, "hold_seconds": None, "extra": "x"} for n in (1, 2, 3)]


@pytest.mark.parametrize(("level", "sets"), [(1, 1), (3, 3)])
def test_dosage_at_the_ladder_ends(level, sets):
    assert rules.resolve_dosage(LADDER, level) == {
        "sets": sets,
        "reps": 10 * sets,
        "hold_seconds": None,
        "rest_seconds": None,
        "target": None,
    }


@pytest.mark.parametrize("level", [0, 4])
def test_dosage_outside_the_ladder(level):
    with pytest.raises(ValueError, match=f"level {level} is outside a ladder of 3 levels"):
        rules.resolve_dosage(LADDER, level)


def test_dosage_override_replaces_only_dosage_keys():
    override = {"reps": 7, "target": {"kind": "time"}, "extra": "y", "sets": None}
    assert rules.resolve_dosage(LADDER, 2, override) == {
        "sets": None,
        "reps": 7,
        "hold_seconds": None,
        "rest_seconds": None,
        "target": {"kind": "time"},
    }


# --- schedules ----------------------------------------------------------------------------


def test_slots_in_time_order_then_by_name():
    schedule = {
        "days": [1],
        "slots": [
            {"slot": "b", "time": "08:05"},
            {"slot": "z", "time": "07:59"},
            {"slot": "a", "time": "08:05"},
        ],
    }
    assert rules.schedule_slots(schedule) == [
        Slot("z", time(7, 59)),
        Slot("a", time(8, 5)),
        Slot("b", time(8, 5)),
    ]
    assert rules.schedule_slots({}) == []
    assert rules.scheduled_slots({"slots": schedule["slots"]}, date(2026, 6, 1)) == []


def test_hhmm_round_trip():
    assert parse_hhmm("07:05") == time(7, 5)
    assert format_hhmm(time(7, 5)) == "07:05"
    assert format_hhmm(time(23, 59)) == "23:59"


def test_sessions_for_date_in_istanbul():
    schedule = {"days": [1], "slots": [{"slot": "m", "time": "08:30"}]}
    assert rules.sessions_for_date(schedule, date(2026, 6, 1), ISTANBUL) == [
        ScheduledSession("m", time(8, 30), utc(2026, 6, 1, 5, 30))
    ]
    assert rules.sessions_for_date(schedule, date(2026, 6, 2), ISTANBUL) == []


@pytest.mark.parametrize(
    ("start", "end", "interval", "expected"),
    [
        (time(9, 15), time(18, 45), 30, 19),  # 570 minutes
        (time(9, 15), time(18, 44), 30, 18),
        (time(9, 14), time(18, 45), 30, 19),
        (time(9, 0), time(9, 30), 30, 1),
        (time(9, 0), time(9, 29), 30, 0),
        (time(9, 0), time(9, 0), 30, 0),
        (time(9, 30), time(9, 0), 30, 0),
        (time(9, 0), time(18, 0), 1, 540),
        (time(9, 0), time(9, 0), 1, 0),  # an empty window holds no break, whatever the interval
        (time(9, 30), time(9, 0), 1, 0),
        (time(9, 0), time(18, 0), 0, 0),
        (time(9, 0), time(18, 0), -30, 0),
    ],
)
def test_posture_breaks_prescribed_at_exact_multiples(start, end, interval, expected):
    assert rules.posture_breaks_prescribed(start, end, interval) == expected


# --- revisions ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "day", "day_end"),
    [
        (ISTANBUL, date(2026, 6, 1), utc(2026, 6, 1, 21)),
        (LONDON, date(2026, 3, 29), utc(2026, 3, 29, 23)),  # 23 hours long
        (LONDON, date(2026, 10, 25), utc(2026, 10, 26, 0)),  # 25 hours long
    ],
)
def test_a_revision_is_in_force_only_if_effective_before_the_local_day_ends(tz, day, day_end):
    revisions = [Rev(1, day_end - timedelta(days=3)), Rev(2, day_end)]
    assert rules.in_force_on(revisions, day, tz).number == 1
    assert rules.in_force_on([*revisions, Rev(3, day_end - TICK)], day, tz).number == 3
    assert rules.in_force_on(revisions, day + timedelta(days=1), tz).number == 2
    assert rules.in_force_on([Rev(1, day_end)], day, tz) is None


def test_local_date_of_an_instant_in_istanbul():
    assert local_date_of(utc(2026, 6, 1, 20, 59), ISTANBUL) == date(2026, 6, 1)
    assert local_date_of(utc(2026, 6, 1, 21), ISTANBUL) == date(2026, 6, 2)


@pytest.mark.parametrize(
    ("now", "replaces", "expected"),
    [
        (utc(2026, 5, 31, 20, 59), True, utc(2026, 5, 31, 21)),  # before the start: midnight
        (utc(2026, 5, 31, 21), True, utc(2026, 5, 31, 21)),
        (utc(2026, 5, 31, 21, 1), True, utc(2026, 5, 31, 21, 1)),  # never reaches back
        (utc(2026, 5, 31, 21, 1), False, utc(2026, 5, 31, 21)),
    ],
)
def test_first_effective_at_in_istanbul(now, replaces, expected):
    assert rules.first_effective_at(date(2026, 6, 1), ISTANBUL, now, replaces) == expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(2026, 5, 31, 20, 59), utc(2026, 5, 31, 21)),
        (utc(2026, 5, 31, 21, 1), utc(2026, 5, 31, 21, 1)),
    ],
)
def test_next_effective_at_never_before_the_start(now, expected):
    assert rules.next_effective_at(date(2026, 6, 1), ISTANBUL, now) == expected


@pytest.mark.parametrize("logged", ["done", "", None])
def test_an_unknown_logged_status_counts_as_not_logged(logged):
    assert rules.session_status(logged, date(2026, 6, 1), date(2026, 6, 2)) == "missed"
    assert rules.session_status(logged, date(2026, 6, 2), date(2026, 6, 2)) == "pending"


@pytest.mark.parametrize(
    ("tz", "day", "wall"),
    [(ISTANBUL, date(2026, 6, 1), time(8)), (LONDON, date(2026, 3, 29), time(1, 30))],
)
def test_local_to_utc_answers_in_utc_itself(tz, day, wall):
    """An aware instant in UTC, not merely an equal instant in some other zone."""
    assert local_to_utc(day, wall, tz).tzinfo is UTC
