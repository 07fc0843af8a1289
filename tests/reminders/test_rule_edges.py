"""Reminder rules at their edges, in zones that are not UTC and on DST days: grace periods, quiet
hours, working windows, snooze lengths, the look-ahead horizon, backoff and the digest time.
Posture breaks are checked against instants computed here from the zone's own UTC readings.
"""

from __future__ import annotations

import time as time_module
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
)
from tests.budget import examples

ISTANBUL = ZoneInfo("Europe/Istanbul")  # UTC+3 all year
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
EVERY_DAY = [1, 2, 3, 4, 5, 6, 7]
NO_QUIET = {"quiet_start": time(0, 0), "quiet_end": time(0, 0)}
MINUTE = timedelta(minutes=1)
TICK = timedelta(microseconds=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def context(
    tz: ZoneInfo,
    *,
    times: tuple[str, ...] = ("08:00",),
    posture: dict | None = None,
    start: date = date(2020, 1, 1),
    **fields,
) -> ReminderContext:
    schedule = {"days": EVERY_DAY, "slots": [{"slot": f"s{t}", "time": t} for t in times]}
    revision = RevisionWindow(1, utc(2019, 1, 1), schedule, posture or {"enabled": False})
    return ReminderContext(
        tz=tz, programmes=(ProgrammeWindow(start, None, (revision,)),), **{**NO_QUIET, **fields}
    )


def breaks_on(ctx: ReminderContext, day: date) -> list[datetime]:
    return [o.at for o in rules.posture_occurrences_on(ctx, day)]


# --- grace periods ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "late", "expected"),
    [
        ("session", timedelta(minutes=30) - TICK, "due"),
        ("session", timedelta(minutes=30), "due"),
        ("session", timedelta(minutes=30) + TICK, "missed"),
        ("posture_break", timedelta(minutes=5) - TICK, "due"),
        ("posture_break", timedelta(minutes=5), "due"),
        ("posture_break", timedelta(minutes=5) + TICK, "missed"),
    ],
)
def test_grace_is_inclusive_at_thirty_and_five_minutes(kind, late, expected):
    ctx = context(ISTANBUL)
    occurrence = Occurrence(kind, utc(2026, 6, 1, 9), date(2026, 6, 1), "s08:00")
    assert occurrence_status(occurrence, ctx, occurrence.at + late) == expected
    assert rules.is_stale(kind, occurrence.at, occurrence.at + late) is (expected == "missed")


@pytest.mark.parametrize(
    ("late", "expected"),
    [
        (timedelta(minutes=30) - TICK, None),
        (timedelta(minutes=30), None),
        (timedelta(minutes=30) + TICK, "missed"),
    ],
)
def test_a_queued_session_push_keeps_its_grace_to_the_microsecond(late, expected):
    queued = utc(2026, 6, 1, 9)  # 12:00 in Istanbul
    ctx = context(ISTANBUL)
    assert (
        send_rules.withheld_status("session", queued.date(), "s08:00", queued, ctx, queued + late)
        == expected
    )


@pytest.mark.parametrize(
    ("late", "expected"),
    [(timedelta(minutes=5), None), (timedelta(minutes=5) + TICK, "missed")],
)
def test_a_queued_posture_push_keeps_five_minutes_of_grace(late, expected):
    queued = utc(2026, 6, 1, 9)  # 12:00 in Istanbul, inside 09:00-18:00
    ctx = context(ISTANBUL)
    assert send_rules.withheld_status(
        "posture_break", queued.date(), None, queued, ctx, queued + late
    ) == (expected)


# --- quiet hours and working windows in the patient's zone --------------------------------


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (utc(2026, 6, 1, 18, 59), "due"),  # 21:59 in Istanbul
        (utc(2026, 6, 1, 19, 0), "suppressed"),  # 22:00
        (utc(2026, 6, 2, 3, 59), "suppressed"),  # 06:59
        (utc(2026, 6, 2, 4, 0), "due"),  # 07:00
    ],
)
def test_quiet_hours_are_read_in_local_time(at, expected):
    ctx = context(ISTANBUL, quiet_start=time(22, 0), quiet_end=time(7, 0))
    occurrence = Occurrence("session", at, at.astimezone(ISTANBUL).date(), "s08:00")
    assert occurrence_status(occurrence, ctx, at) == expected
    suppressed = send_rules.withheld_status("session", occurrence.local_date, "x", at, ctx, at)
    assert suppressed == ("suppressed" if expected == "suppressed" else None)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (utc(2026, 3, 8, 2, 59), "due"),  # 21:59 EST on the 7th
        (utc(2026, 3, 8, 3, 0), "suppressed"),  # 22:00 EST
        (utc(2026, 3, 8, 10, 59), "suppressed"),  # 06:59 EDT, after the spring-forward gap
        (utc(2026, 3, 8, 11, 0), "due"),  # 07:00 EDT
        (utc(2026, 11, 1, 11, 59), "suppressed"),  # 06:59 EST, after the fall-back overlap
        (utc(2026, 11, 1, 12, 0), "due"),  # 07:00 EST
    ],
)
def test_quiet_hours_across_new_york_dst_days(at, expected):
    ctx = context(NEW_YORK, quiet_start=time(22, 0), quiet_end=time(7, 0))
    occurrence = Occurrence("session", at, at.astimezone(NEW_YORK).date(), "s08:00")
    assert occurrence_status(occurrence, ctx, at) == expected


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (utc(2026, 6, 1, 5, 59), "suppressed"),  # 08:59 in Istanbul
        (utc(2026, 6, 1, 6, 0), None),  # 09:00
        (utc(2026, 6, 1, 15, 0), None),  # 18:00: the window's last instant
        (utc(2026, 6, 1, 15, 0, 0, 1), "suppressed"),
        (utc(2026, 6, 6, 9, 0), "suppressed"),  # Saturday
    ],
)
def test_a_queued_posture_push_only_inside_the_local_working_window(at, expected):
    ctx = context(ISTANBUL)
    assert send_rules.withheld_status("posture_break", at.date(), None, at, ctx, at) == expected


def test_a_posture_break_logged_at_the_queue_instant_withholds_the_push():
    queued = utc(2026, 6, 1, 9)
    ctx = context(ISTANBUL, last_posture_break_at=queued)
    assert (
        send_rules.withheld_status("posture_break", queued.date(), None, queued, ctx, queued)
        == "suppressed"
    )
    before = context(ISTANBUL, last_posture_break_at=queued - TICK)
    assert (
        send_rules.withheld_status("posture_break", queued.date(), None, queued, before, queued)
        is None
    )


def test_a_session_logged_on_another_local_date_does_not_withhold():
    queued = utc(2026, 6, 1, 22)  # 01:00 on 2 June in Istanbul
    ctx = context(ISTANBUL, logged_sessions=frozenset({(date(2026, 6, 1), "s08:00")}))
    assert (
        send_rules.withheld_status("session", date(2026, 6, 2), "s08:00", queued, ctx, queued)
        is None
    )
    assert send_rules.withheld_status(
        "session", date(2026, 6, 1), "s08:00", queued, ctx, queued
    ) == ("suppressed")


@pytest.mark.parametrize(
    ("work_end", "window"),
    [
        (time(9, 0), None),
        (time(8, 59), None),
        (time(9, 1), (utc(2026, 6, 1, 6), utc(2026, 6, 1, 6, 1))),
    ],
)
def test_working_window_needs_its_end_after_its_start(work_end, window):
    ctx = context(ISTANBUL, work_start=time(9, 0), work_end=work_end)
    assert rules.working_window_utc(ctx, date(2026, 6, 1)) == window


def test_working_window_on_a_dst_day_is_local_hours():
    ctx = context(LONDON)
    assert rules.working_window_utc(ctx, date(2026, 3, 30)) == (
        utc(2026, 3, 30, 8),
        utc(2026, 3, 30, 17),
    )
    assert rules.working_window_utc(ctx, date(2026, 3, 29)) is None  # a Sunday


# --- posture breaks -----------------------------------------------------------------------


def test_a_break_exactly_at_the_end_of_the_window_is_kept():
    ctx = context(ISTANBUL, times=(), posture={"enabled": True, "interval_minutes": 45})
    found = breaks_on(ctx, date(2026, 6, 1))
    assert len(found) == 12
    assert (found[0], found[-1]) == (utc(2026, 6, 1, 6, 45), utc(2026, 6, 1, 15))


@pytest.mark.parametrize(
    "rule",
    [
        {"enabled": False, "interval_minutes": 40},
        {"interval_minutes": 40},
        {"enabled": True, "interval_minutes": 0},
        {"enabled": True, "interval_minutes": None},
        {"enabled": True},
    ],
)
def test_no_breaks_unless_enabled_with_an_interval(rule):
    assert breaks_on(context(ISTANBUL, times=(), posture=rule), date(2026, 6, 1)) == []


@pytest.mark.parametrize(
    ("last", "first_break"),
    [
        (utc(2026, 6, 1, 5, 59), utc(2026, 6, 1, 6, 40)),  # before the window: from its start
        (utc(2026, 6, 1, 6), utc(2026, 6, 1, 6, 40)),  # at its start
        (utc(2026, 6, 1, 6, 1), utc(2026, 6, 1, 6, 41)),  # inside: from the logged break
        (utc(2026, 6, 1, 15), utc(2026, 6, 1, 6, 40)),  # at its end: no longer inside
    ],
)
def test_the_countdown_restarts_only_from_a_break_inside_the_window(last, first_break):
    ctx = context(
        ISTANBUL,
        times=(),
        posture={"enabled": True, "interval_minutes": 40},
        last_posture_break_at=last,
    )
    assert breaks_on(ctx, date(2026, 6, 1))[0] == first_break


def test_no_revision_means_no_breaks():
    ctx = context(ISTANBUL, times=(), start=date(2026, 7, 1))
    assert breaks_on(ctx, date(2026, 6, 1)) == []
    with pytest.raises(ValueError, match="unknown reminder kind"):
        rules.occurrences_on("stretch", ctx, date(2026, 6, 1))


def _first_utc_reading(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """The first UTC minute whose local reading is ``day`` ``wall``; a wall time the clocks skip
    moves forward by the size of the jump. Found by reading every UTC minute around the day, so
    it does not use the code's own conversion."""
    target = datetime.combine(day, wall)
    scan = datetime.combine(day, time(0, 0), tzinfo=UTC) - timedelta(hours=15)
    previous_offset = None
    for _ in range(54 * 60):
        local = scan.astimezone(tz).replace(tzinfo=None)
        offset = scan.astimezone(tz).utcoffset()
        if local == target:
            return scan
        if previous_offset is not None and offset > previous_offset and local > target:
            jumped = local - (offset - previous_offset)  # the wall time just before the jump
            if jumped <= target:
                return scan + (target - jumped)
        previous_offset = offset
        scan += MINUTE
    raise AssertionError("no reading found")


@settings(max_examples=examples(60), deadline=None)
@given(
    zone=st.sampled_from([LONDON, NEW_YORK, ISTANBUL]),
    day=st.sampled_from(
        [
            date(2026, 3, 8),
            date(2026, 3, 9),
            date(2026, 3, 29),
            date(2026, 3, 30),
            date(2026, 10, 25),
            date(2026, 11, 1),
            date(2026, 11, 2),
            date(2026, 6, 3),
        ]
    ),
    work_start=st.builds(time, st.integers(0, 10), st.sampled_from([0, 30])),
    minutes=st.integers(-60, 12 * 60),
    interval=st.integers(30, 45),
    last_offset=st.none() | st.integers(-30, 13 * 60),
)
def test_posture_breaks_match_an_independent_count(
    zone, day, work_start, minutes, interval, last_offset
):
    """Breaks fall every ``interval`` after the window's start (or the last logged break inside
    it), up to and including its end; none on a day off or when the window is empty."""
    start_minutes = work_start.hour * 60 + work_start.minute
    end_minutes = min(start_minutes + minutes, 23 * 60 + 59)
    work_end = time(max(end_minutes, 0) // 60, max(end_minutes, 0) % 60)
    window_start = _first_utc_reading(day, work_start, zone)
    window_end = _first_utc_reading(day, work_end, zone)
    last = window_start + timedelta(minutes=last_offset) if last_offset is not None else None
    ctx = context(
        zone,
        times=(),
        posture={"enabled": True, "interval_minutes": interval},
        work_start=work_start,
        work_end=work_end,
        last_posture_break_at=last,
    )
    expected = []
    if day.isoweekday() <= 5 and work_end > work_start:
        anchor = last if last is not None and window_start <= last < window_end else window_start
        at = anchor + timedelta(minutes=interval)
        while at <= window_end:
            expected.append(at)
            at += timedelta(minutes=interval)
    assert breaks_on(ctx, day) == expected
    assert all(o.local_date == day for o in rules.posture_occurrences_on(ctx, day))


# --- sessions in the patient's zone -------------------------------------------------------


def test_session_instants_are_local_wall_times():
    ctx = context(ISTANBUL, times=("08:00", "19:30"))
    found = rules.session_occurrences_on(ctx, date(2026, 6, 1))
    assert found == [
        Occurrence("session", utc(2026, 6, 1, 5), date(2026, 6, 1), "s08:00"),
        Occurrence("session", utc(2026, 6, 1, 16, 30), date(2026, 6, 1), "s19:30"),
    ]


def test_next_occurrence_in_a_zone_ahead_of_utc():
    ctx = context(ISTANBUL, times=("08:00",))
    # 23:00 UTC on 31 May is 02:00 on 1 June in Istanbul: the next is 08:00 that morning.
    assert next_occurrence("session", ctx, utc(2026, 5, 31, 23)).at == utc(2026, 6, 1, 5)
    assert next_occurrence("session", ctx, utc(2026, 6, 1, 5)).at == utc(2026, 6, 2, 5)
    assert next_occurrence("session", ctx, utc(2026, 6, 1, 5) - TICK).at == utc(2026, 6, 1, 5)


def test_next_occurrence_in_a_zone_behind_utc_keeps_the_local_evening():
    ctx = context(NEW_YORK, times=("21:00",))
    # 00:30 UTC on 2 June is 20:30 on 1 June in New York: tonight's 21:00 is still ahead.
    assert next_occurrence("session", ctx, utc(2026, 6, 2, 0, 30)).at == utc(2026, 6, 2, 1)


@pytest.mark.parametrize(("days_ahead", "found"), [(30, True), (31, True), (32, False)])
def test_next_occurrence_looks_31_days_ahead(days_ahead, found):
    """A programme that ended on 31 May and the next starting ``days_ahead`` after 1 June."""
    schedule = {"days": EVERY_DAY, "slots": [{"slot": "m", "time": "08:00"}]}
    revision = RevisionWindow(1, utc(2019, 1, 1), schedule, {})
    next_start = date(2026, 6, 1) + timedelta(days=days_ahead)
    ctx = ReminderContext(
        tz=ISTANBUL,
        programmes=(
            ProgrammeWindow(date(2026, 5, 1), date(2026, 5, 31), (revision,)),
            ProgrammeWindow(next_start, None, (revision,)),
        ),
        **NO_QUIET,
    )
    upcoming = next_occurrence("session", ctx, utc(2026, 6, 1, 12))  # 15:00 in Istanbul
    assert (upcoming.local_date if upcoming else None) == (next_start if found else None)


def test_the_newest_programme_by_start_then_creation_prescribes():
    def programme(start: date, slot_time: str, created: datetime | None) -> ProgrammeWindow:
        schedule = {"days": EVERY_DAY, "slots": [{"slot": "m", "time": slot_time}]}
        return ProgrammeWindow(
            start, None, (RevisionWindow(1, utc(2019, 1, 1), schedule, {}),), created
        )

    day = date(2026, 6, 1)
    older = programme(date(2026, 5, 1), "07:00", utc(2026, 6, 1))
    newer = programme(date(2026, 5, 2), "08:00", utc(2026, 4, 1))
    dated = programme(date(2026, 5, 2), "09:00", utc(1970, 1, 1, 0, 1))
    undated = programme(date(2026, 5, 2), "10:00", None)
    ctx = ReminderContext(tz=ISTANBUL, programmes=(older, newer), **NO_QUIET)
    assert [o.at for o in rules.session_occurrences_on(ctx, day)] == [utc(2026, 6, 1, 5)]
    ctx = ReminderContext(tz=ISTANBUL, programmes=(undated, dated), **NO_QUIET)
    assert [o.at for o in rules.session_occurrences_on(ctx, day)] == [utc(2026, 6, 1, 6)]
    assert rules.first_programme_day(ctx) == date(2026, 5, 2)
    assert rules.first_programme_day(ReminderContext(tz=ISTANBUL)) is None


# --- catch-up, refresh, snooze, backoff, digest -------------------------------------------


def test_catch_up_looks_back_24_hours_at_most():
    now = utc(2026, 6, 1, 12)
    window = timedelta(hours=24)
    assert rules.catch_up_start(now - window - TICK, now) == now - window
    assert rules.catch_up_start(now - window, now) == now - window
    assert rules.catch_up_start(now - window + TICK, now) == now - window
    assert rules.catch_up_start(now - window + 2 * TICK, now) == now - window + TICK
    assert window == rules.CATCH_UP_WINDOW


@pytest.mark.parametrize(
    ("kind", "grace"), [("session", timedelta(minutes=30)), ("posture_break", timedelta(minutes=5))]
)
def test_refresh_resumes_after_the_last_occurrence_keeping_one_in_grace(kind, grace):
    now = utc(2026, 6, 1, 12)
    assert rules.refresh_after(None, kind, now) == now - grace
    assert rules.refresh_after(now - grace - TICK, kind, now) == now - grace
    assert rules.refresh_after(now - grace + TICK, kind, now) == now - grace + TICK


@pytest.mark.parametrize("minutes", [9, 11, 19, 21, 29, 31, 0, -10])
def test_snooze_refuses_other_lengths(minutes):
    with pytest.raises(ValueError, match=r"snooze minutes must be one of \(10, 20, 30\)"):
        rules.snooze_until(utc(2026, 6, 1, 12), minutes)


@pytest.mark.parametrize("minutes", [10, 20, 30])
def test_snooze_accepts_10_20_and_30_minutes(minutes):
    now = utc(2026, 6, 1, 12)
    assert rules.snooze_until(now, minutes) == now + timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("attempts", "seconds"), [(-1, 30), (0, 30), (1, 30), (2, 60), (7, 1920), (8, 3600), (20, 3600)]
)
def test_retry_backoff_doubles_from_30_seconds_up_to_an_hour(attempts, seconds):
    assert send_rules.retry_delay(attempts) == timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(2026, 3, 8, 11, 59), None),  # 07:59 EDT on the spring-forward day
        (utc(2026, 3, 8, 12, 0), date(2026, 3, 8)),  # 08:00 EDT
        (utc(2026, 11, 1, 12, 59), None),  # 07:59 EST on the fall-back day
        (utc(2026, 11, 1, 13, 0), date(2026, 11, 1)),
        (utc(2026, 11, 2, 3, 0), date(2026, 11, 1)),  # 22:00 EST: still the 1st
    ],
)
def test_digest_is_due_from_local_eight_on_dst_days(now, expected):
    assert rules.digest_local_date(now, NEW_YORK) == expected


# --- the patient's defaults ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("local_wall", "quiet"),
    [(time(21, 59), False), (time(22, 0), True), (time(6, 59), True), (time(7, 0), False)],
)
def test_default_quiet_hours_are_22_to_7_local(local_wall, quiet):
    ctx = ReminderContext(tz=ISTANBUL)
    at = datetime.combine(date(2026, 6, 1), local_wall, tzinfo=ISTANBUL).astimezone(UTC)
    assert rules.is_quiet(Occurrence("session", at, date(2026, 6, 1), "m"), ctx) is quiet


@pytest.mark.parametrize(
    ("day", "window"),
    [
        (date(2026, 6, 1), (utc(2026, 6, 1, 6), utc(2026, 6, 1, 15))),  # Monday, 09:00-18:00
        (date(2026, 6, 5), (utc(2026, 6, 5, 6), utc(2026, 6, 5, 15))),  # Friday
        (date(2026, 6, 6), None),  # Saturday
        (date(2026, 6, 7), None),  # Sunday
    ],
)
def test_default_working_hours_are_9_to_18_monday_to_friday(day, window):
    assert rules.working_window_utc(ReminderContext(tz=ISTANBUL), day) == window


@pytest.mark.parametrize(
    ("wall", "quiet"),
    [(time(12, 59), False), (time(13, 0), True), (time(13, 59), True), (time(14, 0), False)],
)
def test_a_daytime_quiet_window_includes_its_start_and_excludes_its_end(wall, quiet):
    assert rules.in_quiet_hours(wall, time(13, 0), time(14, 0)) is quiet


def test_posture_breaks_are_whole_occurrences_even_at_a_one_minute_interval():
    ctx = context(
        ISTANBUL,
        times=(),
        posture={"enabled": True, "interval_minutes": 1},
        work_start=time(9, 0),
        work_end=time(9, 3),
    )
    monday = date(2026, 6, 1)
    assert rules.posture_occurrences_on(ctx, monday) == [
        Occurrence("posture_break", utc(2026, 6, 1, 6, minute), monday) for minute in (1, 2, 3)
    ]


def test_a_revision_changes_the_slot_times_from_its_local_day():
    """Effective at 22:00 UTC on 2 June, which is already 3 June in Istanbul."""
    schedule = {"days": EVERY_DAY, "slots": [{"slot": "m", "time": "08:00"}]}
    later = {"days": EVERY_DAY, "slots": [{"slot": "m", "time": "09:00"}]}
    revisions = (
        RevisionWindow(1, utc(2026, 1, 1), schedule, {}),
        RevisionWindow(2, utc(2026, 6, 2, 22), later, {}),
    )
    ctx = ReminderContext(
        tz=ISTANBUL, programmes=(ProgrammeWindow(date(2026, 1, 1), None, revisions),), **NO_QUIET
    )
    found = [rules.session_occurrences_on(ctx, date(2026, 6, d))[0].at for d in (2, 3)]
    assert found == [utc(2026, 6, 2, 5), utc(2026, 6, 3, 6)]


def test_occurrences_between_include_the_one_exactly_at_the_end():
    ctx = context(ISTANBUL, times=("08:00",))
    after, until = utc(2026, 6, 1, 5), utc(2026, 6, 3, 5)
    assert [o.at for o in rules.occurrences_between("session", ctx, after, until)] == [
        utc(2026, 6, 2, 5),
        utc(2026, 6, 3, 5),
    ]
    found, following = rules.walk("session", ctx, after, until)
    assert (len(found), following.at) == (2, utc(2026, 6, 4, 5))


@pytest.fixture
def host_far_east(monkeypatch: pytest.MonkeyPatch):
    """The server's own clock zone set 14 hours ahead of UTC: the rules must not read it."""
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")
    time_module.tzset()
    yield
    monkeypatch.undo()
    time_module.tzset()


@pytest.mark.usefixtures("host_far_east")
def test_the_next_occurrence_never_depends_on_the_servers_zone():
    # 10:00 UTC on 1 June is 23:00 on 31 May in Pago Pago (UTC-11) and 00:00 on 2 June on the host.
    ctx = context(ZoneInfo("Pacific/Pago_Pago"), times=("23:30",))
    upcoming = next_occurrence("session", ctx, utc(2026, 6, 1, 10))
    assert (upcoming.at, upcoming.local_date) == (utc(2026, 6, 1, 10, 30), date(2026, 5, 31))
