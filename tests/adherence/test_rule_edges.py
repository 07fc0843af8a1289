"""Adherence rules at their edges: the programme and revision in force at the first and last
local day (in zones that are not UTC, and on a DST day), which status counts, the day-over
boundary, posture breaks prescribed, and every field of a day and of the totals.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.adherence import rules
from server.adherence.rules import (
    AdherenceTotals,
    DayAdherence,
    Revision,
    SlotCounts,
    WorkWindow,
    day_adherence,
    revision_in_force,
    revisions_in_force,
    slot_counts,
    totals_of,
    window_ratio,
)
from server.clock import day_bounds_utc
from tests.budget import examples

ISTANBUL = ZoneInfo("Europe/Istanbul")  # UTC+3 all year
LONDON = ZoneInfo("Europe/London")
MONDAY = date(2026, 3, 2)
TWICE = {
    "days": [1, 2, 3, 4, 5, 6, 7],
    "slots": [{"slot": "morning", "time": "08:00"}, {"slot": "evening", "time": "19:00"}],
}
OFFICE = WorkWindow(time(9, 0), time(18, 0), frozenset({1, 2, 3, 4, 5}))
PROGRAMME = uuid.uuid4()
NEW_YEAR = datetime(2026, 1, 1, tzinfo=UTC)
TUESDAY = MONDAY + timedelta(days=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def revision(
    number: int = 1,
    effective: datetime = NEW_YEAR,
    *,
    programme: uuid.UUID = PROGRAMME,
    start: date = MONDAY,
    end: date | None = None,
    created: datetime = NEW_YEAR,
    schedule: dict = TWICE,
    breaks: dict | None = None,
) -> Revision:
    return Revision(
        programme_id=programme,
        start_date=start,
        end_date=end,
        programme_created_at=created,
        number=number,
        effective_at=effective,
        schedule=schedule,
        posture_breaks=breaks if breaks is not None else {"enabled": True, "interval_minutes": 40},
    )


def numbers(found) -> list:
    return [(r.programme_id, r.number) if r else None for r in found]


# --- which status counts ------------------------------------------------------------------


def test_the_best_logged_status_counts_completed_over_partial_over_skipped():
    assert sorted(rules.STATUS_RANK, key=rules.STATUS_RANK.get) == [
        "skipped",
        "partial",
        "completed",
    ]
    assert min(rules.STATUS_RANK.values()) > 0  # any log outranks no log (rank 0)
    assert {rank: rules.RANK_STATUS[rank] for rank in rules.STATUS_RANK.values()} == {
        1: "skipped",
        2: "partial",
        3: "completed",
    }
    assert rules.CREDIT == {"completed": 1.0, "partial": 0.5, "skipped": 0.0}


def test_slot_counts_count_each_prescribed_slot_once():
    statuses = {"morning": "partial", "evening": "skipped", "noon": "completed", "lunch": "x"}
    assert slot_counts(["morning", "evening", "noon", "lunch", "night"], statuses) == SlotCounts(
        1, 1, 1, 2
    )
    assert slot_counts([], statuses) == SlotCounts(0, 0, 0, 0)


@pytest.mark.parametrize(
    ("completed", "partial", "due", "ratio"),
    [(0, 0, 0, None), (0, 0, -1, None), (1, 0, 1, 1.0), (0, 1, 1, 0.5), (2, 1, 4, 0.625)],
)
def test_session_ratio(completed, partial, due, ratio):
    assert rules.session_ratio(completed, partial, due) == ratio


# --- programme and revision in force ------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "in_force"),
    [
        (MONDAY - timedelta(days=1), False),
        (MONDAY, True),
        (MONDAY + timedelta(days=6), True),
        (MONDAY + timedelta(days=7), False),
    ],
)
def test_a_programme_applies_from_its_start_to_its_end_date(day, in_force):
    revisions = [revision(end=MONDAY + timedelta(days=6))]
    found = revision_in_force(revisions, day, ISTANBUL)
    assert (found is not None) is in_force
    assert numbers(revisions_in_force(revisions, [day], ISTANBUL)) == numbers([found])


def test_a_revision_is_in_force_from_the_local_day_it_takes_effect():
    # 21:00 UTC on Monday is 00:00 on Tuesday in Istanbul; a microsecond earlier is Monday.
    revisions = [revision(1), revision(2, utc(2026, 3, 2, 21))]
    tuesday = MONDAY + timedelta(days=1)
    assert revision_in_force(revisions, MONDAY, ISTANBUL).number == 1
    assert revision_in_force(revisions, tuesday, ISTANBUL).number == 2
    earlier = [revision(1), revision(2, utc(2026, 3, 2, 21) - timedelta(microseconds=1))]
    assert revision_in_force(earlier, MONDAY, ISTANBUL).number == 2
    assert revision_in_force(revisions, MONDAY, ZoneInfo("UTC")).number == 2


def test_revision_in_force_on_a_dst_day_ends_at_local_midnight():
    # 29 March 2026 in London is 23 hours long: it ends at 23:00 UTC.
    day = date(2026, 3, 29)
    at_end = [revision(1, start=day), revision(2, utc(2026, 3, 29, 23), start=day)]
    just_before = [
        revision(1, start=day),
        revision(2, utc(2026, 3, 29, 22, 59, 59, 999999), start=day),
    ]
    assert revision_in_force(at_end, day, LONDON).number == 1
    assert revision_in_force(just_before, day, LONDON).number == 2
    assert numbers(revisions_in_force(at_end, [day, day + timedelta(days=1)], LONDON)) == [
        (PROGRAMME, 1),
        (PROGRAMME, 2),
    ]


def test_the_newest_programme_by_start_then_creation_applies():
    older, newer, tied = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    revisions = [
        revision(1, programme=older, start=MONDAY, created=utc(2026, 2, 1)),
        revision(1, programme=newer, start=MONDAY + timedelta(days=1), created=utc(2026, 1, 1)),
        revision(1, programme=tied, start=MONDAY + timedelta(days=1), created=utc(2026, 1, 2)),
    ]
    days = [MONDAY + timedelta(days=n) for n in range(3)]
    assert numbers(revisions_in_force(revisions, days, ISTANBUL)) == [
        (older, 1),
        (tied, 1),
        (tied, 1),
    ]
    assert [revision_in_force(revisions, d, ISTANBUL).programme_id for d in days] == [
        older,
        tied,
        tied,
    ]


def test_batch_switches_programme_the_day_after_one_ends():
    first, second = uuid.uuid4(), uuid.uuid4()
    revisions = [
        revision(1, programme=first, start=MONDAY, end=MONDAY + timedelta(days=1)),
        revision(
            1,
            programme=second,
            start=MONDAY - timedelta(days=5),
            created=utc(2025, 12, 1),
        ),
    ]
    days = [MONDAY + timedelta(days=n) for n in range(4)]
    assert numbers(revisions_in_force(revisions, days, ISTANBUL)) == [
        (first, 1),
        (first, 1),
        (second, 1),
        (second, 1),
    ]


def test_batch_follows_revisions_taking_effect_inside_the_run():
    revisions = [
        revision(1),
        revision(2, utc(2026, 3, 3, 12)),
        revision(3, utc(2026, 3, 5, 12)),
    ]
    days = [MONDAY + timedelta(days=n) for n in range(6)]
    assert [r.number for r in revisions_in_force(revisions, days, ISTANBUL)] == [1, 2, 2, 3, 3, 3]
    assert revisions_in_force([], days[:2], ISTANBUL) == [None, None]
    assert revisions_in_force(revisions, [], ISTANBUL) == []


# --- one day ------------------------------------------------------------------------------


def adherence_of(day: date, today: date, **kwargs) -> DayAdherence:
    fields = {
        "revision": revision(),
        "slot_statuses": {"morning": "completed"},
        "posture_breaks_logged": 3,
        "work": OFFICE,
    }
    return day_adherence(day=day, today=today, **{**fields, **kwargs})


@pytest.mark.parametrize(
    ("today_offset", "missing", "pending", "ratio"),
    [(-1, 0, 1, 1.0), (0, 0, 1, 1.0), (1, 1, 0, 0.5), (2, 1, 0, 0.5)],
)
def test_an_unlogged_slot_is_missing_once_its_day_is_over(today_offset, missing, pending, ratio):
    found = adherence_of(MONDAY, MONDAY + timedelta(days=today_offset))
    assert found == DayAdherence(
        day=MONDAY,
        revision_number=1,
        sessions_prescribed=2,
        completed=1,
        partial=0,
        skipped=0,
        missing=missing,
        pending=pending,
        posture_breaks_prescribed=13,
        posture_breaks_logged=3,
        ratio=ratio,
    )


@pytest.mark.parametrize(
    ("breaks", "day_offset", "prescribed"),
    [
        ({"enabled": True, "interval_minutes": 40}, 0, 13),
        ({"enabled": True, "interval_minutes": 45}, 0, 12),
        ({"enabled": False, "interval_minutes": 40}, 0, 0),
        ({"interval_minutes": 40}, 0, 0),  # not enabled unless said so
        ({"enabled": True, "interval_minutes": None}, 0, 0),
        ({"enabled": True}, 0, 0),
        ({"enabled": True, "interval_minutes": 40}, 4, 13),  # Friday
        ({"enabled": True, "interval_minutes": 40}, 5, 0),  # Saturday
    ],
)
def test_posture_breaks_prescribed_on_working_days(breaks, day_offset, prescribed):
    day = MONDAY + timedelta(days=day_offset)
    found = adherence_of(day, day, revision=revision(breaks=breaks))
    assert found.posture_breaks_prescribed == prescribed


def test_no_revision_prescribes_nothing_but_keeps_the_logged_breaks():
    found = adherence_of(MONDAY, MONDAY + timedelta(days=1), revision=None)
    assert found == DayAdherence(MONDAY, None, 0, 0, 0, 0, 0, 0, 0, 3, None)


# --- windows and totals -------------------------------------------------------------------


@pytest.mark.parametrize(("today_offset", "ratio"), [(0, 1.0), (1, 0.5), (2, 0.25)])
def test_window_ratio_counts_unlogged_slots_only_once_their_day_is_over(today_offset, ratio):
    days = [MONDAY, MONDAY + timedelta(days=1)]
    statuses = {MONDAY: {"morning": "completed"}}
    found = window_ratio(
        days=days,
        revisions=[revision(), revision()],
        slot_statuses=statuses,
        today=MONDAY + timedelta(days=today_offset),
    )
    assert found == ratio


def test_window_ratio_without_anything_due_is_none():
    assert window_ratio(days=[MONDAY], revisions=[None], slot_statuses={}, today=MONDAY) is None
    with pytest.raises(ValueError, match="zip"):
        window_ratio(days=[MONDAY], revisions=[], slot_statuses={}, today=MONDAY)


def test_totals_sum_every_field_and_take_the_ratio_over_due_sessions():
    rows = [
        adherence_of(MONDAY, MONDAY + timedelta(days=1), slot_statuses={"morning": "partial"}),
        adherence_of(
            MONDAY + timedelta(days=1),
            MONDAY + timedelta(days=1),
            slot_statuses={"morning": "completed", "evening": "skipped"},
        ),
        adherence_of(MONDAY + timedelta(days=5), MONDAY + timedelta(days=1), slot_statuses={}),
    ]
    assert totals_of(rows) == AdherenceTotals(
        sessions_prescribed=6,
        completed=1,
        partial=1,
        skipped=1,
        missing=1,
        pending=2,
        posture_breaks_prescribed=26,
        posture_breaks_logged=9,
        ratio=0.375,
    )
    assert totals_of([]) == AdherenceTotals(0, 0, 0, 0, 0, 0, 0, 0, None)


def test_batch_over_three_programme_runs_keeps_every_run():
    first, second, third = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    revisions = [
        revision(1, programme=first, start=MONDAY, end=MONDAY),
        revision(1, programme=second, start=TUESDAY, end=TUESDAY),
        revision(1, programme=third, start=TUESDAY + timedelta(days=1)),
        # 22:00 UTC on Tuesday is already Wednesday in Istanbul: not in force on Tuesday there.
        revision(2, utc(2026, 3, 3, 22), programme=second, start=TUESDAY, end=TUESDAY),
    ]
    days = [MONDAY + timedelta(days=n) for n in range(3)]
    assert numbers(revisions_in_force(revisions, days, ISTANBUL)) == [
        (first, 1),
        (second, 1),
        (third, 1),
    ]


def test_batch_sees_a_revision_taking_effect_late_on_the_last_local_day():
    # 02:00 UTC on Thursday is 22:00 on Wednesday in New York: in force on Wednesday there.
    new_york = ZoneInfo("America/New_York")
    revisions = [revision(1), revision(2, utc(2026, 3, 5, 2))]
    days = [MONDAY + timedelta(days=n) for n in range(3)]
    assert [r.number for r in revisions_in_force(revisions, days, new_york)] == [1, 1, 2]


AROUND_MIDNIGHT = [timedelta(microseconds=n) for n in (-1, 0, 1)] + [timedelta(hours=-5)]


@settings(max_examples=examples(300), deadline=None)
@given(
    st.integers(-3, 12),
    st.none() | st.integers(0, 12),
    st.integers(-3, 12),
    st.sampled_from(AROUND_MIDNIGHT),
    st.sampled_from([ISTANBUL, LONDON, ZoneInfo("America/New_York"), ZoneInfo("UTC")]),
)
def test_one_revision_is_in_force_as_on_each_day_alone(
    start: int, length: int | None, takes_effect: int, off: timedelta, tz: ZoneInfo
) -> None:
    """A patient's only revision (revisions_in_force's shortcut) is in force on the days the
    rule for one day finds it, its effect at or about a local midnight, across the spring DST
    changes."""
    first = date(2026, 3, 25)
    effective = day_bounds_utc(first + timedelta(days=takes_effect), tz)[0] + off
    only = [
        revision(
            1,
            effective,
            start=first + timedelta(days=start),
            end=None if length is None else first + timedelta(days=start + length),
        )
    ]
    days = [first + timedelta(days=n) for n in range(10)]
    expected = [revision_in_force(only, day, tz) for day in days]
    assert numbers(revisions_in_force(only, days, tz)) == numbers(expected)
