"""Pure adherence arithmetic: revision in force, a day's counts and ratio, totals, baseline."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.adherence.rules import (
    STATUS_RANK,
    Revision,
    WorkWindow,
    day_adherence,
    revision_in_force,
    revisions_in_force,
    session_ratio,
    totals_of,
    window_ratio,
)
from server.adherence.week_rules import packed_ratio, prescribed_in_window
from server.clock import local_to_utc
from tests.budget import examples

UTC_ZONE = ZoneInfo("UTC")
DAILY = {
    "days": [1, 2, 3, 4, 5, 6, 7],
    "slots": [{"slot": "morning", "time": "08:00"}, {"slot": "evening", "time": "19:00"}],
}
BREAKS = {"enabled": True, "interval_minutes": 40}
OFFICE = WorkWindow(time(9, 0), time(18, 0), frozenset({1, 2, 3, 4, 5}))
MONDAY = date(2026, 3, 2)
CREATED = datetime(2026, 1, 1, tzinfo=UTC)


def revision(number: int, effective: datetime, programme=None, start=MONDAY, end=None, **kw):
    return Revision(
        programme_id=programme or PROGRAMME,
        start_date=start,
        end_date=end,
        programme_created_at=kw.pop("created", CREATED),
        number=number,
        effective_at=effective,
        schedule=kw.pop("schedule", DAILY),
        posture_breaks=kw.pop("posture_breaks", BREAKS),
    )


PROGRAMME = uuid.uuid4()


def at(day: date, hour: int = 0) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def test_revision_in_force_is_the_newest_effective_before_the_day_ends() -> None:
    revisions = [revision(1, at(MONDAY)), revision(2, at(MONDAY + timedelta(days=2), 15))]
    assert revision_in_force(revisions, MONDAY - timedelta(days=1), UTC_ZONE) is None
    assert revision_in_force(revisions, MONDAY + timedelta(days=1), UTC_ZONE).number == 1
    assert revision_in_force(revisions, MONDAY + timedelta(days=2), UTC_ZONE).number == 2


def test_a_replacing_programme_takes_over_from_its_start_date() -> None:
    newer = uuid.uuid4()
    switch = MONDAY + timedelta(days=5)
    revisions = [
        revision(1, at(MONDAY), end=switch - timedelta(days=1)),
        revision(2, at(MONDAY, 12), end=switch - timedelta(days=1)),
        revision(1, at(switch), programme=newer, start=switch, created=at(MONDAY, 13)),
    ]
    assert revision_in_force(revisions, switch - timedelta(days=1), UTC_ZONE).number == 2
    chosen = revision_in_force(revisions, switch, UTC_ZONE)
    assert (chosen.programme_id, chosen.number) == (newer, 1)


@pytest.mark.parametrize(
    ("statuses", "today_offset", "expected"),
    [
        # statuses of morning/evening; day is MONDAY; today = MONDAY + offset
        ({"morning": "completed", "evening": "completed"}, 1, (2, 0, 0, 0, 0, 1.0)),
        ({"morning": "completed", "evening": "partial"}, 1, (1, 1, 0, 0, 0, 0.75)),
        ({"morning": "partial"}, 1, (0, 1, 0, 1, 0, 0.25)),
        ({"morning": "skipped", "evening": "skipped"}, 1, (0, 0, 2, 0, 0, 0.0)),
        ({}, 1, (0, 0, 0, 2, 0, 0.0)),
        ({}, 0, (0, 0, 0, 0, 2, None)),
        ({"morning": "completed"}, 0, (1, 0, 0, 0, 1, 1.0)),
        ({"lunch": "completed"}, 1, (0, 0, 0, 2, 0, 0.0)),  # unscheduled slot ignored
    ],
)
def test_day_table(statuses, today_offset, expected) -> None:
    day = day_adherence(
        day=MONDAY,
        revision=revision(1, at(MONDAY)),
        slot_statuses=statuses,
        posture_breaks_logged=4,
        work=OFFICE,
        today=MONDAY + timedelta(days=today_offset),
    )
    assert (
        day.completed,
        day.partial,
        day.skipped,
        day.missing,
        day.pending,
        day.ratio,
    ) == expected
    assert day.sessions_prescribed == 2
    assert (day.posture_breaks_prescribed, day.posture_breaks_logged) == (13, 4)


def test_no_programme_and_weekends_prescribe_no_breaks() -> None:
    saturday = MONDAY + timedelta(days=5)
    kwargs = {"slot_statuses": {}, "posture_breaks_logged": 0, "work": OFFICE, "today": saturday}
    weekend = day_adherence(day=saturday, revision=revision(1, at(MONDAY)), **kwargs)
    nothing = day_adherence(day=saturday, revision=None, **kwargs)
    assert weekend.posture_breaks_prescribed == 0
    assert weekend.sessions_prescribed == 2
    assert (nothing.sessions_prescribed, nothing.ratio, nothing.revision_number) == (0, None, None)


statuses = st.dictionaries(
    st.sampled_from(["morning", "evening"]), st.sampled_from(["completed", "partial", "skipped"])
)


@settings(max_examples=examples(150), deadline=None)
@given(st.lists(st.tuples(statuses, st.integers(0, 2)), min_size=1, max_size=14))
def test_totals_ratio_is_credit_over_due_sessions(days) -> None:
    rows = [
        day_adherence(
            day=MONDAY + timedelta(days=n),
            revision=revision(1, at(MONDAY)),
            slot_statuses=slots,
            posture_breaks_logged=breaks,
            work=OFFICE,
            today=MONDAY + timedelta(days=len(days)),
        )
        for n, (slots, breaks) in enumerate(days)
    ]
    totals = totals_of(rows)
    for row in rows:
        parts = row.completed + row.partial + row.skipped + row.missing + row.pending
        assert parts == row.sessions_prescribed
    credit = sum(
        1 if s == "completed" else 0.5 if s == "partial" else 0 for d, _ in days for s in d.values()
    )
    assert totals.ratio == pytest.approx(credit / (2 * len(days)))
    assert 0 <= totals.ratio <= 1


def test_ratio_edges() -> None:
    assert session_ratio(0, 0, 0) is None
    assert session_ratio(1, 1, 2) == 0.75


# --- the batch shortcuts agree with the day-by-day rules -------------------------------------

# Zones with DST gaps and overlaps, some at midnight, one 30-minute shift and a skipped day.
ZONES = [
    "UTC",
    "Europe/London",
    "America/New_York",
    "America/Sao_Paulo",
    "America/Havana",
    "America/Santiago",
    "Asia/Beirut",
    "Australia/Lord_Howe",
    "Pacific/Apia",
]
# Days near clock changes of those zones (Samoa skipped 2011-12-30; Sao Paulo 2018-11-04 and
# 2019-02-17 changed at midnight), so the windows below straddle them.
ANCHORS = [
    date(2011, 12, 30),
    date(2018, 11, 4),
    date(2019, 2, 17),
    date(2026, 3, 8),
    date(2026, 3, 29),
    date(2026, 4, 5),
    date(2026, 9, 6),
    date(2026, 10, 4),
    date(2026, 11, 1),
]
SCHEDULES = [
    DAILY,
    {"days": [1, 3, 5], "slots": [{"slot": "morning", "time": "08:00"}]},
    {
        "days": [2, 4, 6, 7],
        "slots": [
            {"slot": "noon", "time": "12:00"},
            {"slot": "morning", "time": "07:30"},
            {"slot": "evening", "time": "21:00"},
        ],
    },
    {"days": [], "slots": []},
]


@st.composite
def revision_histories(draw, anchor: date, tz: ZoneInfo) -> list[Revision]:
    """One to three programmes around ``anchor``, each with revisions effective at random
    instants, some exactly at (or a microsecond off) a local midnight.
    """
    revisions = []
    created = st.sampled_from([CREATED, CREATED + timedelta(hours=1)])  # ties happen
    for _ in range(draw(st.integers(1, 3))):
        programme = uuid.uuid4()
        start = anchor + timedelta(days=draw(st.integers(-12, 4)))
        end = draw(st.none() | st.integers(0, 15).map(lambda n, s=start: s + timedelta(days=n)))
        made = draw(created)
        for number in range(1, draw(st.integers(1, 4)) + 1):
            day = anchor + timedelta(days=draw(st.integers(-12, 8)))
            midnight = local_to_utc(day, time(0, 0), tz)
            effective = draw(
                st.sampled_from([midnight, midnight - timedelta(microseconds=1)])
                | st.integers(0, 24 * 60 - 1).map(lambda m, d=midnight: d + timedelta(minutes=m))
            )
            schedule = draw(st.sampled_from(SCHEDULES))
            revisions.append(
                revision(number, effective, programme, start, end, created=made, schedule=schedule)
            )
    return draw(st.permutations(revisions))


@st.composite
def histories_and_windows(draw):
    tz = ZoneInfo(draw(st.sampled_from(ZONES)))
    anchor = draw(st.sampled_from(ANCHORS))
    first = anchor + timedelta(days=draw(st.integers(-10, 3)))
    days = [first + timedelta(days=n) for n in range(draw(st.integers(1, 21)))]
    return draw(revision_histories(anchor, tz)), days, tz


@settings(max_examples=examples(300), deadline=None)
@given(histories_and_windows())
def test_revisions_in_force_is_revision_in_force_day_by_day(case) -> None:
    revisions, days, tz = case
    batch = revisions_in_force(revisions, days, tz)
    one_by_one = [revision_in_force(revisions, day, tz) for day in days]
    assert [r and (r.programme_id, r.number) for r in batch] == [
        r and (r.programme_id, r.number) for r in one_by_one
    ]
    assert all(a is b for a, b in zip(batch, one_by_one, strict=True))


week_statuses = st.dictionaries(
    st.sampled_from(["morning", "evening", "noon", "lunch"]),  # lunch is never scheduled
    st.sampled_from(["completed", "partial", "skipped"]),
)


@settings(max_examples=examples(300), deadline=None)
@given(
    st.lists(
        st.tuples(st.none() | st.sampled_from(SCHEDULES), week_statuses), min_size=1, max_size=9
    ),
    st.integers(-2, 10),
)
def test_window_ratio_is_the_ratio_of_the_days_totals(days, today_offset) -> None:
    dates = [MONDAY + timedelta(days=n) for n in range(len(days))]
    in_force = [
        revision(1, at(MONDAY), schedule=schedule) if schedule else None for schedule, _ in days
    ]
    statuses = {day: logged for day, (_, logged) in zip(dates, days, strict=True)}
    today = MONDAY + timedelta(days=today_offset)
    rows = [
        day_adherence(
            day=day,
            revision=in_force_then,
            slot_statuses=statuses[day],
            posture_breaks_logged=0,
            work=OFFICE,
            today=today,
        )
        for day, in_force_then in zip(dates, in_force, strict=True)
    ]
    ratio = window_ratio(days=dates, revisions=in_force, slot_statuses=statuses, today=today)
    assert ratio == totals_of(rows).ratio


# A slot scheduled twice a day counts twice, in the packed ratio as in the window's.
REPEATED_SLOT = {
    "days": [1, 2, 5],
    "slots": [{"slot": "morning", "time": "08:00"}, {"slot": "morning", "time": "10:00"}],
}


@settings(max_examples=examples(300), deadline=None)
@given(
    st.lists(
        st.tuples(st.none() | st.sampled_from([*SCHEDULES, REPEATED_SLOT]), week_statuses),
        min_size=1,
        max_size=9,
    ),
    st.integers(-2, 10),
    st.integers(0, 3),
)
def test_packed_window_ratio_is_the_window_ratio(days, today_offset, lead) -> None:
    """The list's packed ranks (two bits a day from ``first``, which may lie before the window)
    give the ratio the logged statuses give."""
    dates = [MONDAY + timedelta(days=n) for n in range(len(days))]
    in_force = [
        revision(1, at(MONDAY), schedule=schedule) if schedule else None for schedule, _ in days
    ]
    statuses = {day: logged for day, (_, logged) in zip(dates, days, strict=True)}
    first = MONDAY - timedelta(days=lead)
    ranks: dict[str, int] = {}
    for day, logged in statuses.items():
        for slot, status in logged.items():
            ranks[slot] = ranks.get(slot, 0) | STATUS_RANK[status] << 2 * (day - first).days
    today = MONDAY + timedelta(days=today_offset)
    expected = window_ratio(days=dates, revisions=in_force, slot_statuses=statuses, today=today)
    prescribed = prescribed_in_window(days=dates, revisions=in_force, first=first, today=today)
    found = packed_ratio(prescribed, ranks)
    assert found == expected
