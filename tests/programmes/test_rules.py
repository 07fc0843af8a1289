"""Pure programme rules: ladders, dosage, schedule expansion across DST, revision in force."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.clock import day_bounds_utc, local_date_of, local_to_utc
from server.programmes import rules
from server.programmes.rules import LadderEndError, level_moves, move_level
from tests.budget import examples

ZONES = ["Europe/London", "America/New_York", "Europe/Istanbul"]
LONDON, NEW_YORK, ISTANBUL = (ZoneInfo(z) for z in ZONES)
EVERY_DAY = {
    "days": [1, 2, 3, 4, 5, 6, 7],
    "slots": [{"slot": "evening", "time": "19:00"}, {"slot": "morning", "time": "08:00"}],
}

zones = st.sampled_from(ZONES).map(ZoneInfo)
days = st.dates(min_value=date(2010, 1, 1), max_value=date(2031, 12, 31))
walls = st.times().map(lambda t: t.replace(second=0, microsecond=0))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- ladders -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ladder_len", "level", "direction", "expected"),
    [
        (5, 1, "progress", 2),
        (5, 4, "progress", 5),
        (5, 5, "regress", 4),
        (5, 2, "regress", 1),
        (3, 2, "progress", 3),
        (2, 2, "regress", 1),
    ],
)
def test_move_level_moves_one_step(ladder_len, level, direction, expected):
    assert move_level(ladder_len, level, direction) == expected


@pytest.mark.parametrize(
    ("ladder_len", "level", "direction"),
    [(5, 5, "progress"), (5, 1, "regress"), (1, 1, "progress"), (1, 1, "regress")],
)
def test_move_level_at_an_end_is_a_domain_error(ladder_len, level, direction):
    with pytest.raises(LadderEndError) as raised:
        move_level(ladder_len, level, direction)
    assert raised.value.level == level
    assert ("top" if direction == "progress" else "bottom") in str(raised.value)


@pytest.mark.parametrize(
    ("ladder_len", "level", "direction"),
    [(5, 0, "progress"), (5, 6, "regress"), (0, 1, "progress"), (5, 2, "sideways")],
)
def test_move_level_rejects_nonsense(ladder_len, level, direction):
    with pytest.raises(ValueError, match=r"level|direction") as raised:
        move_level(ladder_len, level, direction)
    assert not isinstance(raised.value, LadderEndError)


@settings(max_examples=examples(200), deadline=None)
@given(st.integers(1, 10).flatmap(lambda n: st.tuples(st.just(n), st.integers(1, n))))
def test_ladder_moves_stay_on_the_ladder_and_undo_each_other(case):
    ladder_len, level = case
    for direction, step in (("progress", 1), ("regress", -1)):
        if 1 <= level + step <= ladder_len:
            moved = move_level(ladder_len, level, direction)
            assert moved == level + step
            back = "regress" if direction == "progress" else "progress"
            assert move_level(ladder_len, moved, back) == level
        else:
            with pytest.raises(LadderEndError):
                move_level(ladder_len, level, direction)


@settings(deadline=None)
@given(st.integers(1, 10))
def test_progressing_from_the_bottom_reaches_the_top_then_stops(ladder_len):
    level = 1
    for _ in range(ladder_len - 1):
        level = move_level(ladder_len, level, "progress")
    assert level == ladder_len
    with pytest.raises(LadderEndError):
        move_level(ladder_len, level, "progress")


LADDER = [
    {
        "level": n,
        "sets": 1,
        "reps": 10,
        "hold_seconds": 10,
        "rest_seconds": 10,
        "target": {"kind": "pressure", "value": v, "unit": "mmHg"},
    }
    for n, v in enumerate([22, 24, 26, 28, 30], start=1)
]


@pytest.mark.parametrize(
    ("level", "override", "expected"),
    [
        (1, None, {"sets": 1, "reps": 10, "hold_seconds": 10, "rest_seconds": 10, "mmhg": 22}),
        (5, None, {"sets": 1, "reps": 10, "hold_seconds": 10, "rest_seconds": 10, "mmhg": 30}),
        (
            3,
            {"reps": 6},
            {"sets": 1, "reps": 6, "hold_seconds": 10, "rest_seconds": 10, "mmhg": 26},
        ),
        (
            2,
            {"sets": 2, "level": 9, "colour": "red"},
            {"sets": 2, "reps": 10, "hold_seconds": 10, "rest_seconds": 10, "mmhg": 24},
        ),
    ],
)
def test_resolved_dosage_is_the_level_plus_the_override(level, override, expected):
    # The parameters are shared by every run in the process: read them, never pop from them.
    dosage = rules.resolve_dosage(LADDER, level, override)
    plain = {k: v for k, v in expected.items() if k != "mmhg"}
    assert dosage["target"] == {"kind": "pressure", "value": expected["mmhg"], "unit": "mmHg"}
    assert {k: dosage[k] for k in plain} == plain
    assert set(dosage) == set(rules.DOSAGE_KEYS)


def test_resolved_dosage_outside_the_ladder_is_an_error():
    with pytest.raises(ValueError, match="outside"):
        rules.resolve_dosage(LADDER, 6)


# --- schedule expansion and DST ----------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "day", "wall", "expected_utc", "expected_local"),
    [
        # 08:00 stays 08:00 local on both sides of each change.
        (LONDON, date(2025, 3, 29), time(8), utc(2025, 3, 29, 8), "08:00+0000"),
        (LONDON, date(2025, 3, 30), time(8), utc(2025, 3, 30, 7), "08:00+0100"),
        (LONDON, date(2025, 10, 26), time(8), utc(2025, 10, 26, 8), "08:00+0000"),
        (NEW_YORK, date(2025, 3, 8), time(8), utc(2025, 3, 8, 13), "08:00-0500"),
        (NEW_YORK, date(2025, 3, 9), time(8), utc(2025, 3, 9, 12), "08:00-0400"),
        (NEW_YORK, date(2025, 11, 2), time(8), utc(2025, 11, 2, 13), "08:00-0500"),
        (ISTANBUL, date(2025, 3, 30), time(8), utc(2025, 3, 30, 5), "08:00+0300"),
        (ISTANBUL, date(2025, 10, 26), time(8), utc(2025, 10, 26, 5), "08:00+0300"),
        # Nonexistent local times move forward by the gap.
        (LONDON, date(2025, 3, 30), time(1, 30), utc(2025, 3, 30, 1, 30), "02:30+0100"),
        (NEW_YORK, date(2025, 3, 9), time(2, 30), utc(2025, 3, 9, 7, 30), "03:30-0400"),
        (NEW_YORK, date(2025, 3, 9), time(2, 0), utc(2025, 3, 9, 7), "03:00-0400"),
        # Ambiguous local times resolve to their first occurrence (they fire once).
        (LONDON, date(2025, 10, 26), time(1, 30), utc(2025, 10, 26, 0, 30), "01:30+0100"),
        (NEW_YORK, date(2025, 11, 2), time(1, 30), utc(2025, 11, 2, 5, 30), "01:30-0400"),
    ],
)
def test_local_to_utc_across_dst(tz, day, wall, expected_utc, expected_local):
    instant = local_to_utc(day, wall, tz)
    assert instant == expected_utc
    assert instant.astimezone(tz).strftime("%H:%M%z") == expected_local


def _exists(day: date, wall: time, tz: ZoneInfo) -> list[datetime]:
    """Every UTC instant whose local reading in ``tz`` is ``day`` ``wall`` (0, 1 or 2)."""
    naive = datetime.combine(day, wall)
    offsets = {naive.replace(tzinfo=tz, fold=f).utcoffset() for f in (0, 1)}
    found = {(naive - o).replace(tzinfo=UTC) for o in offsets}
    return sorted(i for i in found if i.astimezone(tz).replace(tzinfo=None) == naive)


@settings(max_examples=examples(200), deadline=None)
@given(zones, days, walls)
def test_local_to_utc_keeps_the_wall_time_or_moves_forward_out_of_a_gap(tz, day, wall):
    instant = local_to_utc(day, wall, tz)
    local = instant.astimezone(tz)
    readings = _exists(day, wall, tz)
    if readings:
        # Existing (or ambiguous) wall time: that wall time, the first occurrence.
        assert instant == readings[0]
        assert (local.date(), local.time()) == (day, wall)
    else:
        # Nonexistent: later on the same date, by exactly the size of the gap.
        naive = datetime.combine(day, wall)
        before, after = (naive.replace(tzinfo=tz, fold=f).utcoffset() for f in (0, 1))
        gap = after - before
        assert local.date() == day
        assert local.replace(tzinfo=None) - naive == gap > timedelta(0)


@settings(max_examples=examples(100), deadline=None)
@given(zones, days)
def test_sessions_keep_their_local_time_every_day_and_fire_once(tz, start):
    seen: set[datetime] = set()
    for offset in range(3):
        day = start + timedelta(days=offset)
        sessions = rules.sessions_for_date(EVERY_DAY, day, tz)
        assert [s.slot for s in sessions] == ["morning", "evening"]
        for session in sessions:
            local = session.starts_at.astimezone(tz)
            assert (local.date(), local.time()) == (day, session.wall_time)
            assert session.starts_at not in seen
            seen.add(session.starts_at)


@pytest.mark.parametrize(
    ("tz", "day", "hours"),
    [
        (LONDON, date(2025, 3, 30), 23),
        (LONDON, date(2025, 10, 26), 25),
        (NEW_YORK, date(2025, 3, 9), 23),
        (NEW_YORK, date(2025, 11, 2), 25),
        (ISTANBUL, date(2025, 3, 30), 24),
        (LONDON, date(2025, 6, 1), 24),
    ],
)
def test_day_bounds_are_23_24_or_25_hours(tz, day, hours):
    start, end = day_bounds_utc(day, tz)
    assert end - start == timedelta(hours=hours)
    assert day_bounds_utc(day + timedelta(days=1), tz)[0] == end


@pytest.mark.parametrize(
    ("days", "day", "expected"),
    [
        ([1, 3, 5], date(2025, 6, 2), ["morning", "evening"]),  # Monday
        ([1, 3, 5], date(2025, 6, 3), []),  # Tuesday
        ([6, 7], date(2025, 6, 8), ["morning", "evening"]),  # Sunday
    ],
)
def test_sessions_only_on_scheduled_weekdays(days, day, expected):
    schedule = {**EVERY_DAY, "days": days}
    assert [s.slot for s in rules.sessions_for_date(schedule, day, ISTANBUL)] == expected


def test_items_for_slot_defaults_to_every_session():
    items = [
        {"item_id": "a", "slots": ["morning"]},
        {"item_id": "b", "slots": None},
        {"item_id": "c", "slots": ["morning", "evening"]},
        {"item_id": "d"},
    ]
    assert [i["item_id"] for i in rules.items_for_slot(items, "morning")] == ["a", "b", "c", "d"]
    assert [i["item_id"] for i in rules.items_for_slot(items, "evening")] == ["b", "c", "d"]


@pytest.mark.parametrize(
    ("start", "end", "interval", "enabled", "expected"),
    [
        (time(9), time(18), 40, True, 13),
        (time(9), time(18), 45, True, 12),
        (time(9), time(18), 30, True, 18),
        (time(9), time(18), 40, False, 0),
        (time(18), time(9), 40, True, 0),
    ],
)
def test_posture_breaks_prescribed(start, end, interval, enabled, expected):
    assert rules.posture_breaks_prescribed(start, end, interval, enabled) == expected


def test_working_window_only_on_working_days():
    assert rules.working_window(time(9), time(18), [1, 2, 3, 4, 5], date(2025, 6, 2)) == (
        time(9),
        time(18),
    )
    assert rules.working_window(time(9), time(18), [1, 2, 3, 4, 5], date(2025, 6, 7)) is None


@pytest.mark.parametrize(
    ("logged", "day", "expected"),
    [
        ("completed", date(2025, 6, 1), "completed"),
        ("partial", date(2025, 6, 2), "partial"),
        ("skipped", date(2025, 6, 3), "skipped"),
        (None, date(2025, 6, 1), "missed"),
        (None, date(2025, 6, 2), "pending"),
        (None, date(2025, 6, 3), "pending"),
    ],
)
def test_session_status(logged, day, expected):
    assert rules.session_status(logged, day, today=date(2025, 6, 2)) == expected


# --- revisions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Rev:
    number: int
    effective_at: datetime


def test_revision_in_force_is_the_newest_effective_before_the_end_of_the_day():
    revisions = [
        Rev(1, utc(2025, 3, 1)),
        Rev(2, utc(2025, 3, 10, 14)),
        Rev(3, utc(2025, 3, 10, 23, 30)),  # still the 10th in London (GMT)
    ]
    assert rules.in_force_on(revisions, date(2025, 2, 28), LONDON) is None
    assert rules.in_force_on(revisions, date(2025, 3, 9), LONDON).number == 1
    assert rules.in_force_on(revisions, date(2025, 3, 10), LONDON).number == 3
    # In Istanbul (UTC+3) 23:30 UTC on the 10th is already the 11th.
    assert rules.in_force_on(revisions, date(2025, 3, 10), ISTANBUL).number == 2


@settings(max_examples=examples(100), deadline=None)
@given(
    zones,
    st.lists(st.integers(0, 60 * 24 * 30), min_size=1, max_size=6),
    st.integers(0, 60 * 24 * 30),
)
def test_a_new_revision_never_changes_a_past_dates_revision(tz, minutes, later):
    base = utc(2025, 3, 1)
    times = sorted(base + timedelta(minutes=m) for m in minutes)
    revisions = [Rev(n, t) for n, t in enumerate(times, start=1)]
    now = max(times[-1], base + timedelta(minutes=later))
    added = [*revisions, Rev(len(revisions) + 1, now)]
    today = local_date_of(now, tz)
    for offset in range(1, 40):
        past = today - timedelta(days=offset)
        assert rules.in_force_on(added, past, tz) == rules.in_force_on(revisions, past, tz)
    assert rules.in_force_on(added, today, tz).number == len(added)


def test_effective_times_never_reach_back_for_a_replacement():
    now = utc(2025, 6, 10, 12)
    assert rules.first_effective_at(date(2025, 6, 1), LONDON, now, replaces=False) == utc(
        2025, 5, 31, 23
    )
    assert rules.first_effective_at(date(2025, 6, 10), LONDON, now, replaces=True) == now
    assert rules.first_effective_at(date(2025, 6, 12), LONDON, now, replaces=True) == utc(
        2025, 6, 11, 23
    )
    assert rules.next_effective_at(date(2025, 6, 1), LONDON, now) == now
    assert rules.next_effective_at(date(2025, 6, 20), LONDON, now) == utc(2025, 6, 19, 23)


def _items(**levels: int) -> list[dict]:
    return [{"item_id": item_id, "level": level} for item_id, level in levels.items()]


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (_items(a=1, b=2), _items(a=1, b=2), (False, False)),
        (_items(a=1, b=2), _items(a=2, b=2), (True, True)),
        (_items(a=1, b=2), _items(a=1, b=1), (False, True)),
        (_items(a=1, b=2), _items(a=2, b=1), (True, True)),
        (_items(a=1), _items(a=1, c=3), (False, False)),  # a new item moves nothing
        (_items(a=1, b=2), _items(b=2), (False, False)),  # nor does a dropped one
    ],
)
def test_level_moves_compare_the_items_both_revisions_hold(before, after, expected):
    assert level_moves(before, after) == expected
