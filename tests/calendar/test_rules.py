"""The feed as pure values: revision spans, and recurrence that keeps wall time across DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
import recurring_ical_events
from icalendar import Calendar

from server.calendar import rules

STAMP = datetime(2027, 1, 1, tzinfo=UTC)
EVERY_DAY = {"days": [1, 2, 3, 4, 5, 6, 7], "slots": [{"slot": "morning", "time": "08:00"}]}
BREAKS = {"enabled": True, "interval_minutes": 40}
HOURS = rules.WorkingHours(time(9, 0), time(17, 30), (1, 2, 3, 4, 5))


def _revision(number: int, effective_on: date, schedule=EVERY_DAY) -> rules.RevisionInput:
    return rules.RevisionInput(number, effective_on, schedule, BREAKS, 3, STAMP)


def _feed(timezone: str, first: date, last: date | None = None, language: str = "en") -> Calendar:
    spans = rules.revision_spans("p1", first, last, [_revision(1, first)])
    document = rules.build_calendar(
        spans=spans, questionnaires=[], hours=HOURS, timezone=timezone, language=language
    )
    return Calendar.from_ical(document)


@pytest.mark.parametrize(
    ("timezone", "start", "end"),
    [
        ("Europe/London", date(2027, 3, 22), date(2027, 4, 4)),  # BST starts 28 March 2027
        ("Europe/London", date(2027, 10, 25), date(2027, 11, 7)),  # BST ends 31 October 2027
        ("Europe/Istanbul", date(2027, 3, 22), date(2027, 4, 4)),
        ("America/New_York", date(2027, 3, 8), date(2027, 3, 21)),  # DST starts 14 March 2027
    ],
)
def test_sessions_stay_at_eight_local_across_a_dst_change(timezone, start, end) -> None:
    calendar = _feed(timezone, date(2027, 1, 4))
    sessions = [
        e
        for e in recurring_ical_events.of(calendar).between(start, end)
        if str(e["summary"]).startswith("Exercise session")
    ]
    assert len(sessions) == (end - start).days
    local = {(e["dtstart"].dt.hour, e["dtstart"].dt.minute) for e in sessions}
    assert local == {(8, 0)}
    assert {str(e["dtstart"].dt.tzinfo) for e in sessions} == {timezone}
    offsets = {e["dtstart"].dt.utcoffset() for e in sessions}
    assert len(offsets) == (1 if timezone == "Europe/Istanbul" else 2)


def test_the_feed_names_its_zone_and_recurs_by_the_prescribed_days() -> None:
    calendar = _feed("Europe/London", date(2027, 1, 4))
    zones = list(calendar.walk("VTIMEZONE"))
    assert [str(z["tzid"]) for z in zones] == ["Europe/London"]
    (session,) = [e for e in calendar.walk("VEVENT") if "morning" in str(e["uid"])]
    assert session["dtstart"].params["TZID"] == "Europe/London"
    assert session["rrule"]["FREQ"] == ["WEEKLY"]
    assert session["rrule"]["BYDAY"] == ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


def test_the_posture_break_window_spans_the_working_hours_on_working_days() -> None:
    calendar = _feed("Europe/Istanbul", date(2027, 1, 4))
    window = [
        e
        for e in recurring_ical_events.of(calendar).between(date(2027, 1, 4), date(2027, 1, 11))
        if "posture" in str(e["uid"])
    ]
    assert len(window) == 5
    assert {(e["dtstart"].dt.time(), e["dtend"].dt.time()) for e in window} == {
        (time(9, 0), time(17, 30))
    }
    assert "every 40 minutes" in str(window[0]["description"])


def test_the_feed_ends_with_the_programme() -> None:
    calendar = _feed("Europe/London", date(2027, 1, 4), last=date(2027, 1, 10))
    events = recurring_ical_events.of(calendar).between(date(2027, 1, 1), date(2027, 3, 1))
    sessions = [e for e in events if "morning" in str(e["uid"])]
    assert [e["dtstart"].dt.date() for e in sessions][-1] == date(2027, 1, 10)
    assert len(sessions) == 7


def test_a_revision_takes_over_from_the_day_it_took_effect() -> None:
    weekdays = {"days": [1, 3, 5], "slots": [{"slot": "evening", "time": "19:00"}]}
    spans = rules.revision_spans(
        "p1",
        date(2027, 1, 4),
        None,
        [_revision(1, date(2027, 1, 4)), _revision(2, date(2027, 1, 6), weekdays)],
    )
    assert [(s.number, s.first, s.last) for s in spans] == [
        (1, date(2027, 1, 4), date(2027, 1, 5)),
        (2, date(2027, 1, 6), None),
    ]
    replaced_same_day = rules.revision_spans(
        "p1",
        date(2027, 1, 4),
        None,
        [_revision(1, date(2027, 1, 4)), _revision(2, date(2027, 1, 4))],
    )
    assert [s.number for s in replaced_same_day] == [2]


def test_texts_are_in_the_patients_language() -> None:
    calendar = _feed("Europe/Istanbul", date(2027, 1, 4), language="tr")
    summaries = {str(e["summary"]) for e in calendar.walk("VEVENT")}
    assert summaries == {"Egzersiz seansı (sabah)", "Duruş molaları"}
    assert str(calendar["x-wr-calname"]) == "Ev egzersiz programı"


def test_a_questionnaire_is_an_all_day_event_over_its_window() -> None:
    due = rules.DueQuestionnaire(
        "a1", "Neck Disability Index", date(2027, 2, 1), date(2027, 2, 7), STAMP
    )
    document = rules.build_calendar(
        spans=[], questionnaires=[due], hours=HOURS, timezone="Europe/London", language="en"
    )
    (event,) = Calendar.from_ical(document).walk("VEVENT")
    assert event["dtstart"].dt == date(2027, 2, 1)
    assert event["dtend"].dt == date(2027, 2, 8)
    assert str(event["summary"]) == "Questionnaire due: Neck Disability Index"
    assert str(event["uid"]) == "a1@hep-tracker"
