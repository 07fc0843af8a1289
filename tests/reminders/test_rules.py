"""Pure reminder rules (PRODUCT.md §5): DST-correct expansion, quiet hours, posture windows,
catch-up, snooze and backoff. No app, no database.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.reminders import rules, send_rules
from server.reminders.rules import (
    Occurrence,
    ProgrammeWindow,
    ReminderContext,
    RevisionWindow,
    next_occurrence,
    occurrence_status,
    occurrences_between,
)
from tests.budget import examples

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
ISTANBUL = ZoneInfo("Europe/Istanbul")
EVERY_DAY = [1, 2, 3, 4, 5, 6, 7]
NO_QUIET = {"quiet_start": time(0, 0), "quiet_end": time(0, 0)}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def context(
    tz: ZoneInfo,
    *,
    times: list[str] = ("08:00",),
    days: list[int] = EVERY_DAY,
    posture: dict | None = None,
    start: date = date(2020, 1, 1),
    end: date | None = None,
    **fields,
) -> ReminderContext:
    schedule = {"days": days, "slots": [{"slot": f"s{t}", "time": t} for t in times]}
    revision = RevisionWindow(1, utc(2019, 1, 1), schedule, posture or {"enabled": False})
    fields = {**NO_QUIET, **fields}
    return ReminderContext(tz=tz, programmes=(ProgrammeWindow(start, end, (revision,)),), **fields)


def expand(kind: str, ctx: ReminderContext, first: date, last: date) -> list[Occurrence]:
    start = datetime.combine(first, time(0, 0), tzinfo=ctx.tz).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0, 0), tzinfo=ctx.tz).astimezone(UTC)
    return list(occurrences_between(kind, ctx, start - timedelta(microseconds=1), end))


def local(occurrence: Occurrence, tz: ZoneInfo) -> datetime:
    return occurrence.at.astimezone(tz)


def wall_exists(day: date, wall: time, tz: ZoneInfo) -> bool:
    naive = datetime.combine(day, wall)
    return naive.replace(tzinfo=tz).astimezone(UTC).astimezone(tz).replace(tzinfo=None) == naive


def is_ambiguous(day: date, wall: time, tz: ZoneInfo) -> bool:
    naive = datetime.combine(day, wall)
    first, second = naive.replace(tzinfo=tz, fold=0), naive.replace(tzinfo=tz, fold=1)
    return first.utcoffset() != second.utcoffset()


# --- table tests: the DST cases of PRODUCT.md §5 ---------------------------------------------


@pytest.mark.parametrize(
    ("tz", "day", "wall", "expected_utc"),
    [
        # 08:00 stays 08:00 local on both sides of a transition.
        (LONDON, date(2026, 3, 28), "08:00", utc(2026, 3, 28, 8)),
        (LONDON, date(2026, 3, 29), "08:00", utc(2026, 3, 29, 7)),
        (NEW_YORK, date(2026, 11, 1), "08:00", utc(2026, 11, 1, 13)),
        (NEW_YORK, date(2026, 10, 31), "08:00", utc(2026, 10, 31, 12)),
        # Nonexistent local times move forward by the gap.
        (LONDON, date(2026, 3, 29), "01:30", utc(2026, 3, 29, 1, 30)),  # = 02:30 BST
        (NEW_YORK, date(2026, 3, 8), "02:30", utc(2026, 3, 8, 7, 30)),  # = 03:30 EDT
        # Ambiguous local times fire once, at their first occurrence.
        (LONDON, date(2026, 10, 25), "01:30", utc(2026, 10, 25, 0, 30)),  # 01:30 BST
        (NEW_YORK, date(2026, 11, 1), "01:30", utc(2026, 11, 1, 5, 30)),  # 01:30 EDT
    ],
)
def test_session_reminder_instants_across_dst(tz, day, wall, expected_utc) -> None:
    occurrences = list(expand("session", context(tz, times=[wall]), day, day))
    assert [o.at for o in occurrences] == [expected_utc]
    assert occurrences[0].local_date == day


def test_nonexistent_time_landing_on_an_existing_slot_fires_once() -> None:
    # 02:30 does not exist in New York on 2026-03-08: it becomes 03:30, the other slot's time.
    ctx = context(NEW_YORK, times=["02:30", "03:30"])
    assert [o.at for o in expand("session", ctx, date(2026, 3, 8), date(2026, 3, 8))] == [
        utc(2026, 3, 8, 7, 30)
    ]


def test_only_scheduled_days_and_unlogged_sessions() -> None:
    monday = date(2026, 6, 1)
    ctx = context(
        ISTANBUL,
        times=["08:00", "19:00"],
        days=[1, 3],
        logged_sessions=frozenset({(monday, "s08:00")}),
    )
    found = expand("session", ctx, monday, monday + timedelta(days=6))
    assert [(o.local_date, o.slot) for o in found] == [
        (monday, "s19:00"),
        (monday + timedelta(days=2), "s08:00"),
        (monday + timedelta(days=2), "s19:00"),
    ]


def test_reminders_disabled_or_no_programme_means_nothing() -> None:
    after = utc(2026, 6, 1)
    assert next_occurrence("session", context(LONDON, reminders_enabled=False), after) is None
    assert next_occurrence("session", ReminderContext(tz=LONDON), after) is None


def test_programme_dates_bound_the_reminders() -> None:
    ctx = context(LONDON, start=date(2026, 6, 3), end=date(2026, 6, 4))
    found = expand("session", ctx, date(2026, 6, 1), date(2026, 6, 10))
    assert [o.local_date for o in found] == [date(2026, 6, 3), date(2026, 6, 4)]


def test_a_new_revision_changes_the_slot_times_from_its_day() -> None:
    first = RevisionWindow(
        1, utc(2026, 1, 1), {"days": EVERY_DAY, "slots": [{"slot": "morning", "time": "08:00"}]}, {}
    )
    second = RevisionWindow(
        2,
        utc(2026, 6, 3, 12),
        {"days": EVERY_DAY, "slots": [{"slot": "morning", "time": "09:30"}]},
        {},
    )
    ctx = ReminderContext(
        tz=UTC_ZONE,
        programmes=(ProgrammeWindow(date(2026, 1, 1), None, (first, second)),),
        **NO_QUIET,
    )
    found = expand("session", ctx, date(2026, 6, 2), date(2026, 6, 4))
    expected = [utc(2026, 6, 2, 8), utc(2026, 6, 3, 9, 30), utc(2026, 6, 4, 9, 30)]
    assert [o.at for o in found] == expected


UTC_ZONE = ZoneInfo("UTC")


def test_posture_breaks_every_interval_inside_the_window() -> None:
    ctx = context(UTC_ZONE, times=[], posture={"enabled": True, "interval_minutes": 40})
    monday = date(2026, 6, 1)
    found = expand("posture_break", ctx, monday, monday)
    assert len(found) == 13  # floor(540 / 40), as adherence counts them
    assert found[0].at == utc(2026, 6, 1, 9, 40)
    assert found[-1].at == utc(2026, 6, 1, 17, 40)
    saturday = date(2026, 6, 6)
    assert expand("posture_break", ctx, saturday, saturday + timedelta(days=1)) == []


def test_a_logged_posture_break_restarts_the_countdown() -> None:
    ctx = context(
        UTC_ZONE,
        times=[],
        posture={"enabled": True, "interval_minutes": 40},
        last_posture_break_at=utc(2026, 6, 1, 10, 5),
    )
    upcoming = next_occurrence("posture_break", ctx, utc(2026, 6, 1, 10, 6))
    assert upcoming.at == utc(2026, 6, 1, 10, 45)


@pytest.mark.parametrize(
    ("wall", "start", "end", "quiet"),
    [
        (time(22, 0), time(22, 0), time(7, 0), True),
        (time(3, 0), time(22, 0), time(7, 0), True),
        (time(6, 59), time(22, 0), time(7, 0), True),
        (time(7, 0), time(22, 0), time(7, 0), False),
        (time(21, 59), time(22, 0), time(7, 0), False),
        (time(13, 0), time(12, 0), time(14, 0), True),
        (time(14, 0), time(12, 0), time(14, 0), False),
        (time(3, 0), time(0, 0), time(0, 0), False),
    ],
)
def test_quiet_hours_may_wrap_midnight(wall, start, end, quiet) -> None:
    assert rules.in_quiet_hours(wall, start, end) is quiet


def test_statuses_quiet_then_grace() -> None:
    ctx = context(LONDON, quiet_start=time(22, 0), quiet_end=time(7, 0))
    at = utc(2026, 1, 5, 8)  # 08:00 GMT
    session = Occurrence("session", at, date(2026, 1, 5), "morning")
    assert occurrence_status(session, ctx, at + timedelta(minutes=30)) == "due"
    assert occurrence_status(session, ctx, at + timedelta(minutes=31)) == "missed"
    posture = Occurrence("posture_break", at, date(2026, 1, 5))
    assert occurrence_status(posture, ctx, at + timedelta(minutes=5)) == "due"
    assert occurrence_status(posture, ctx, at + timedelta(minutes=6)) == "missed"
    night = Occurrence("session", utc(2026, 1, 5, 23), date(2026, 1, 5), "late")
    assert occurrence_status(night, ctx, night.at) == "suppressed"


def test_catch_up_and_refresh_windows() -> None:
    now = utc(2026, 6, 1, 12)
    assert rules.catch_up_start(utc(2026, 5, 1), now) == now - rules.CATCH_UP_WINDOW
    assert rules.catch_up_start(utc(2026, 6, 1, 11), now) == utc(2026, 6, 1, 11) - timedelta(
        microseconds=1
    )
    assert rules.refresh_after(None, "session", now) == now - timedelta(minutes=30)
    assert rules.refresh_after(utc(2026, 6, 1, 11, 59), "posture_break", now) == utc(
        2026, 6, 1, 11, 59
    )


def test_snooze_backoff_and_digest_time() -> None:
    now = utc(2026, 6, 1, 12)
    assert rules.snooze_until(now, 20) == now + timedelta(minutes=20)
    with pytest.raises(ValueError, match="snooze"):
        rules.snooze_until(now, 15)
    assert [send_rules.retry_delay(n).total_seconds() for n in range(1, 9)] == [
        30,
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
    ]
    # Istanbul is UTC+3 all year: local 08:00 is 05:00 UTC.
    assert rules.digest_local_date(utc(2026, 6, 1, 4, 59), ISTANBUL) is None
    assert rules.digest_local_date(utc(2026, 6, 1, 5), ISTANBUL) == date(2026, 6, 1)

    # A clinic's own digest time: 18:30 local is 15:30 UTC.
    late = time(18, 30)
    assert rules.digest_local_date(utc(2026, 6, 1, 15, 29), ISTANBUL, late) is None
    assert rules.digest_local_date(utc(2026, 6, 1, 15, 30), ISTANBUL, late) == date(2026, 6, 1)


# --- Hypothesis: expansion across DST transitions --------------------------------------------

TRANSITIONS = {
    LONDON: lambda y: [_last_sunday(y, 3), _last_sunday(y, 10)],
    NEW_YORK: lambda y: [_nth_sunday(y, 3, 2), _nth_sunday(y, 11, 1)],
}


def _last_sunday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.isoweekday() % 7))


def _nth_sunday(year: int, month: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(7 - first.isoweekday()) % 7 + 7 * (n - 1))


zones = st.sampled_from([LONDON, NEW_YORK])
walls = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))
transition_days = st.builds(
    lambda tz, year, which: (tz, TRANSITIONS[tz](year)[which]),
    zones,
    st.integers(2024, 2032),
    st.integers(0, 1),
)


@settings(max_examples=examples(150), deadline=None)
@given(transition=transition_days, slot_walls=st.lists(walls, min_size=1, max_size=3, unique=True))
def test_session_expansion_is_dst_correct(transition, slot_walls) -> None:
    tz, day = transition
    times = [f"{w.hour:02d}:{w.minute:02d}" for w in slot_walls]
    ctx = context(tz, times=times)
    first, last = day - timedelta(days=2), day + timedelta(days=2)
    found = expand("session", ctx, first, last)
    instants = [o.at for o in found]
    assert instants == sorted(set(instants)), "strictly increasing, never twice"
    for offset in range(5):
        current = first + timedelta(days=offset)
        expected = {
            datetime.combine(current, w).replace(tzinfo=tz, fold=0).astimezone(UTC)
            for w in slot_walls
        }
        assert {o.at for o in found if o.local_date == current} == expected
    for occurrence in found:
        wall = rules_wall(occurrence)
        shown = local(occurrence, tz)
        if wall_exists(occurrence.local_date, wall, tz):
            assert shown.time() == wall, "an existing wall time is kept exactly"
            if is_ambiguous(occurrence.local_date, wall, tz):
                assert shown.fold == 0, "ambiguous: fires once, at the first occurrence"
        else:
            moved = datetime.combine(occurrence.local_date, wall) + timedelta(hours=1)
            assert shown.replace(tzinfo=None) == moved, "a nonexistent time moves forward"


def rules_wall(occurrence: Occurrence) -> time:
    hours, minutes = occurrence.slot.removeprefix("s").split(":")
    return time(int(hours), int(minutes))


@settings(max_examples=examples(100), deadline=None)
@given(
    transition=transition_days,
    slot_walls=st.lists(walls, min_size=1, max_size=3, unique=True),
    quiet_start=walls,
    quiet_end=walls,
)
def test_nothing_is_sent_inside_quiet_hours(transition, slot_walls, quiet_start, quiet_end):
    tz, day = transition
    ctx = context(
        tz,
        times=[f"{w.hour:02d}:{w.minute:02d}" for w in slot_walls],
        quiet_start=quiet_start,
        quiet_end=quiet_end,
    )
    for occurrence in expand("session", ctx, day - timedelta(days=1), day + timedelta(days=1)):
        status = occurrence_status(occurrence, ctx, occurrence.at)
        quiet = rules.in_quiet_hours(local(occurrence, tz).time(), quiet_start, quiet_end)
        assert status == ("suppressed" if quiet else "due")


@settings(max_examples=examples(100), deadline=None)
@given(
    transition=transition_days,
    work_start=st.builds(time, st.integers(0, 11), st.sampled_from([0, 30])),
    hours=st.integers(1, 12),
    interval=st.integers(30, 45),
    work_days=st.sets(st.integers(1, 7), min_size=1),
    last_break_minutes=st.none() | st.integers(0, 13 * 60),
)
def test_posture_breaks_only_inside_the_window(
    transition, work_start, hours, interval, work_days, last_break_minutes
) -> None:
    tz, day = transition
    work_end = time(min(work_start.hour + hours, 23), work_start.minute)
    last_break = None
    if last_break_minutes is not None:
        start = datetime.combine(day, work_start).replace(tzinfo=tz).astimezone(UTC)
        last_break = start + timedelta(minutes=last_break_minutes)
    ctx = context(
        tz,
        times=[],
        posture={"enabled": True, "interval_minutes": interval},
        work_start=work_start,
        work_end=work_end,
        work_days=frozenset(work_days),
        last_posture_break_at=last_break,
    )
    found = expand("posture_break", ctx, day - timedelta(days=1), day + timedelta(days=1))
    for occurrence in found:
        assert occurrence.local_date.isoweekday() in work_days
        window = rules.working_window_utc(ctx, occurrence.local_date)
        assert window is not None
        assert window[0] < occurrence.at <= window[1]
        anchor = window[0]
        if last_break is not None and window[0] <= last_break < window[1]:
            anchor = last_break
        assert (occurrence.at - anchor) % timedelta(minutes=interval) == timedelta(0)
        assert occurrence.at > anchor
    same_day = [o for o in found if o.local_date == day]
    for before, after in itertools.pairwise(same_day):
        assert after.at - before.at == timedelta(minutes=interval)


QUEUED = utc(2026, 6, 1, 8, 0)
MONDAY_1 = QUEUED.date()
WORKING = {"work_start": time(7, 0), "work_end": time(17, 0)}  # 08:00 UTC is inside


@pytest.mark.parametrize(
    ("kind", "fields", "at", "expected"),
    [
        ("session", {}, QUEUED + timedelta(minutes=5), None),
        ("session", {"reminders_enabled": False}, QUEUED + timedelta(minutes=5), "suppressed"),
        (
            "session",
            {"quiet_start": time(8, 1), "quiet_end": time(9)},
            QUEUED + timedelta(minutes=5),
            "suppressed",
        ),
        (
            "session",
            {"logged_sessions": frozenset({(MONDAY_1, "morning")})},
            QUEUED + timedelta(minutes=5),
            "suppressed",
        ),
        (
            "session",
            {"logged_sessions": frozenset({(MONDAY_1, "evening")})},
            QUEUED + timedelta(minutes=5),
            None,
        ),
        ("session", {}, QUEUED + timedelta(minutes=31), "missed"),
        ("posture_break", WORKING, QUEUED + timedelta(minutes=4), None),
        ("posture_break", WORKING, QUEUED + timedelta(minutes=6), "missed"),
        ("posture_break", {}, QUEUED + timedelta(minutes=4), "suppressed"),  # before 09:00
        (
            "posture_break",
            {**WORKING, "work_end": time(8, 3)},
            QUEUED + timedelta(minutes=4),
            "suppressed",
        ),
        (
            "posture_break",
            {**WORKING, "last_posture_break_at": QUEUED + timedelta(minutes=1)},
            QUEUED + timedelta(minutes=2),
            "suppressed",
        ),
        (
            "posture_break",
            {**WORKING, "last_posture_break_at": QUEUED - timedelta(minutes=1)},
            QUEUED + timedelta(minutes=2),
            None,
        ),
    ],
)
def test_a_queued_push_is_withheld_when_it_may_no_longer_go_out(kind, fields, at, expected):
    ctx = ReminderContext(tz=ZoneInfo("UTC"), **{**NO_QUIET, **fields})
    assert send_rules.withheld_status(kind, MONDAY_1, "morning", QUEUED, ctx, at) == expected


def test_a_due_questionnaire_is_announced_at_ten_local_on_its_due_date_only() -> None:
    due = frozenset({date(2026, 6, 8), date(2026, 6, 22)})
    ctx = context(ISTANBUL, start=date(2026, 6, 1), measures_due=due)
    found = expand(rules.MEASURE, ctx, date(2026, 6, 1), date(2026, 6, 30))
    assert [(o.at, o.local_date, o.slot) for o in found] == [
        (utc(2026, 6, 8, 7), date(2026, 6, 8), None),  # 10:00 in Istanbul (UTC+3)
        (utc(2026, 6, 22, 7), date(2026, 6, 22), None),
    ]
    assert expand(rules.MEASURE, context(ISTANBUL), date(2026, 6, 1), date(2026, 6, 30)) == []


def test_a_questionnaire_push_is_withheld_once_answered_in_quiet_hours_or_past_two_hours() -> None:
    day = date(2026, 6, 8)
    queued = utc(2026, 6, 8, 10)
    due = context(ZoneInfo("UTC"), measures_due=frozenset({day}))
    withheld = send_rules.withheld_status
    assert withheld(rules.MEASURE, day, None, queued, due, queued) is None
    assert withheld(rules.MEASURE, day, None, queued, context(ZoneInfo("UTC")), queued) == (
        "suppressed"
    )
    quiet = context(
        ZoneInfo("UTC"),
        measures_due=frozenset({day}),
        quiet_start=time(9, 0),
        quiet_end=time(11, 0),
    )
    assert withheld(rules.MEASURE, day, None, queued, quiet, queued) == "suppressed"
    late = queued + timedelta(hours=2, seconds=1)
    assert withheld(rules.MEASURE, day, None, queued, due, queued + timedelta(hours=2)) is None
    assert withheld(rules.MEASURE, day, None, queued, due, late) == "missed"
