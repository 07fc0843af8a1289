"""The patient list's shortcut for a patient's only revision says "in force all week" exactly
when ``rules.revisions_in_force`` finds it in force on each day of the week."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import product
from zoneinfo import ZoneInfo

import pytest

from server.adherence import rules
from server.adherence.rules import Revision
from server.adherence.week import _throughout
from server.clock import day_bounds_utc, days_between

WEEK = days_between(date(2026, 3, 23), date(2026, 3, 30))  # DST starts in Europe on the 29th


def revision(start: date, end: date | None, effective_at: datetime) -> Revision:
    schedule = {"days": [1, 2, 3, 4, 5, 6, 7], "slots": []}
    return Revision("p", start, end, effective_at, 1, effective_at, schedule, None)


@pytest.mark.parametrize("zone", ["Europe/Istanbul", "Europe/Berlin", "Pacific/Auckland"])
def test_the_shortcut_agrees_with_the_rules_day_by_day(zone: str) -> None:
    tz = ZoneInfo(zone)
    first_end = day_bounds_utc(WEEK[0], tz)[1]
    starts = [WEEK[0] - timedelta(days=3), WEEK[0], WEEK[1], WEEK[-1]]
    ends = [None, WEEK[-1] + timedelta(days=1), WEEK[-1], WEEK[-2], WEEK[0]]
    micro = timedelta(microseconds=1)
    effective = [first_end - timedelta(days=9), first_end - micro, first_end, first_end + micro]
    for start, end, at in product(starts, ends, effective):
        if end is not None and end < start:
            continue
        only = revision(start, end, at)
        in_force = rules.revisions_in_force([only], WEEK, tz)
        assert _throughout(only, WEEK, first_end) == all(r is only for r in in_force)
