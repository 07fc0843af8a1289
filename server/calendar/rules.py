"""The calendar feed as pure values: which local dates each revision prescribed, and the
iCalendar document built from them with ``icalendar`` (no database, no Flask)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vRecur

from server.clock import parse_hhmm

PRODID = "-//HEP Tracker//Calendar feed//EN"
UID_DOMAIN = "hep-tracker"
SESSION_MINUTES = 20  # a schedule names start times only; a session shows as this long
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")  # ISO weekday 1 = MO

TEXTS = {
    "en": {
        "calendar": "Home exercise programme",
        "session": "Exercise session ({slot})",
        "session_about": "Your home exercise programme: {count} exercise(s). Log it in the app.",
        "breaks": "Posture breaks",
        "breaks_about": "During your working hours, take a posture break every {minutes} minutes.",
        "due": "Questionnaire due: {name}",
        "due_about": "Answer it in the app by {closes}.",
    },
    "tr": {
        "calendar": "Ev egzersiz programı",
        "session": "Egzersiz seansı ({slot})",
        "session_about": "Ev egzersiz programınız: {count} egzersiz. Uygulamada kaydedin.",
        "breaks": "Duruş molaları",
        "breaks_about": "Çalışma saatlerinizde her {minutes} dakikada bir duruş molası verin.",
        "due": "Anket zamanı: {name}",
        "due_about": "{closes} tarihine kadar uygulamada yanıtlayın.",
    },
}
SLOT_NAMES = {
    "tr": {"morning": "sabah", "midday": "öğle", "afternoon": "öğleden sonra", "evening": "akşam"}
}


@dataclass(frozen=True)
class RevisionSpan:
    """One revision's prescription over the local dates it was in force (``last`` None: open)."""

    programme_id: Any
    number: int
    first: date
    last: date | None
    schedule: dict[str, Any]
    posture_breaks: dict[str, Any]
    item_count: int
    stamp: datetime


@dataclass(frozen=True)
class RevisionInput:
    """A revision as stored, with the local date it took effect."""

    number: int
    effective_on: date
    schedule: dict[str, Any]
    posture_breaks: dict[str, Any]
    item_count: int
    stamp: datetime


@dataclass(frozen=True)
class DueQuestionnaire:
    """One administration of an outcome measure, answerable from ``due`` to ``closes``."""

    uid: str
    name: str
    due: date
    closes: date
    stamp: datetime


@dataclass(frozen=True)
class WorkingHours:
    start: time
    end: time
    days: tuple[int, ...]


def revision_spans(
    programme_id: Any, start: date, end: date | None, revisions: Sequence[RevisionInput]
) -> list[RevisionSpan]:
    """Each revision from the day it took effect to the day before the next one did, within the
    programme's dates; a revision replaced on its own first day prescribed nothing."""
    ordered = sorted(revisions, key=lambda r: r.number)
    spans = []
    for index, revision in enumerate(ordered):
        first = max(start, revision.effective_on)
        following = ordered[index + 1 :]
        last = following[0].effective_on - timedelta(days=1) if following else None
        if end is not None:
            last = end if last is None else min(last, end)
        if last is not None and last < first:
            continue
        spans.append(
            RevisionSpan(
                programme_id,
                revision.number,
                first,
                last,
                revision.schedule,
                revision.posture_breaks,
                revision.item_count,
                revision.stamp,
            )
        )
    return spans


def _first_on_or_after(day: date, weekdays: Iterable[int]) -> date | None:
    wanted = set(weekdays)
    return next(
        (day + timedelta(n) for n in range(7) if (day + timedelta(n)).isoweekday() in wanted), None
    )


def _weekly(days: Iterable[int], last: date | None, tz: ZoneInfo) -> vRecur:
    """Weekly on the ISO ``days``; UNTIL (in UTC, as RFC 5545 asks beside a TZID) ends ``last``."""
    rule: dict[str, Any] = {"FREQ": "WEEKLY", "BYDAY": [WEEKDAYS[d - 1] for d in sorted(set(days))]}
    if last is not None:
        rule["UNTIL"] = datetime.combine(last, time(23, 59, 59), tz).astimezone(UTC)
    return vRecur(rule)


def _event(uid: str, summary: str, description: str, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", f"{uid}@{UID_DOMAIN}")
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("last-modified", stamp.astimezone(UTC))
    event.add("summary", summary)
    event.add("description", description)
    return event


def session_events(span: RevisionSpan, tz: ZoneInfo, language: str) -> list[Event]:
    """One recurring event per slot of the span's schedule, at its wall time in ``tz``."""
    days = [d for d in span.schedule.get("days", []) if 1 <= d <= 7]
    first = _first_on_or_after(span.first, days) if days else None
    if first is None or (span.last is not None and first > span.last):
        return []
    texts, names = TEXTS[language], SLOT_NAMES.get(language, {})
    events = []
    for slot in span.schedule.get("slots", []):
        name, start = slot["slot"], parse_hhmm(slot["time"])
        event = _event(
            f"{span.programme_id}.r{span.number}.{name}",
            texts["session"].format(slot=names.get(name, name)),
            texts["session_about"].format(count=span.item_count),
            span.stamp,
        )
        begins = datetime.combine(first, start, tz)
        event.add("dtstart", begins)
        event.add("dtend", begins + timedelta(minutes=SESSION_MINUTES))
        event.add("rrule", _weekly(days, span.last, tz))
        events.append(event)
    return events


def posture_break_event(
    span: RevisionSpan, hours: WorkingHours, tz: ZoneInfo, language: str
) -> Event | None:
    """The working-hours window of the span's posture-break rule, free time (not busy)."""
    interval = int(span.posture_breaks.get("interval_minutes") or 0)
    if not span.posture_breaks.get("enabled") or interval <= 0 or hours.end <= hours.start:
        return None
    first = _first_on_or_after(span.first, hours.days) if hours.days else None
    if first is None or (span.last is not None and first > span.last):
        return None
    texts = TEXTS[language]
    event = _event(
        f"{span.programme_id}.r{span.number}.posture-breaks",
        texts["breaks"],
        texts["breaks_about"].format(minutes=interval),
        span.stamp,
    )
    event.add("dtstart", datetime.combine(first, hours.start, tz))
    event.add("dtend", datetime.combine(first, hours.end, tz))
    event.add("rrule", _weekly(hours.days, span.last, tz))
    event.add("transp", "TRANSPARENT")
    return event


def questionnaire_event(due: DueQuestionnaire, language: str) -> Event:
    """An all-day event over the days the questionnaire can be answered."""
    texts = TEXTS[language]
    event = _event(
        due.uid,
        texts["due"].format(name=due.name),
        texts["due_about"].format(closes=due.closes.isoformat()),
        due.stamp,
    )
    event.add("dtstart", due.due)
    event.add("dtend", due.closes + timedelta(days=1))
    event.add("transp", "TRANSPARENT")
    return event


def build_calendar(
    *,
    spans: Sequence[RevisionSpan],
    questionnaires: Sequence[DueQuestionnaire],
    hours: WorkingHours,
    timezone: str,
    language: str,
) -> bytes:
    """The feed: sessions and posture breaks recurring in ``timezone`` (with its VTIMEZONE from
    zoneinfo), and the due questionnaires, texts in ``language``."""
    tz = ZoneInfo(timezone)
    language = language if language in TEXTS else "en"
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", TEXTS[language]["calendar"])
    calendar.add("x-wr-timezone", timezone)
    for span in spans:
        for event in session_events(span, tz, language):
            calendar.add_component(event)
        breaks = posture_break_event(span, hours, tz, language)
        if breaks is not None:
            calendar.add_component(breaks)
    for due in questionnaires:
        calendar.add_component(questionnaire_event(due, language))
    calendar.add_missing_timezones()
    return calendar.to_ical()
