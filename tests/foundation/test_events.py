"""Domain events: every event has its handlers in the one table, they run in its order when they
have work, and the table tells a single record which follow-ups it has."""

from __future__ import annotations

import dataclasses
import inspect
import uuid
from datetime import UTC, date, datetime

from flask import Flask

from server import events, wiring
from server.events import Handler, RecordsIngested, handler, handlers_for, publish
from server.flags import events as flag_events
from server.reminders import events as reminder_events

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
PATIENT, CLINIC = uuid.uuid4(), uuid.uuid4()


def _app(table: dict) -> Flask:
    app = Flask(__name__)
    app.extensions["event_handlers"] = table
    return app


def _ingested(kinds: set[str], urgent: tuple[uuid.UUID, ...] = ()) -> RecordsIngested:
    days = frozenset({date(2026, 3, 2)} if kinds - {"symptom_check"} else ())
    return RecordsIngested(PATIENT, CLINIC, frozenset(kinds), days, urgent, NOW)


def test_every_event_is_in_the_table_with_handlers_from_a_domains_events_module() -> None:
    declared = {
        cls
        for _, cls in inspect.getmembers(events, inspect.isclass)
        if dataclasses.is_dataclass(cls) and cls is not Handler
    }
    assert declared == set(wiring.EVENT_HANDLERS)
    for listed in wiring.EVENT_HANDLERS.values():
        assert listed
        assert all(isinstance(h, Handler) for h in listed)
        assert all(h.run.__module__.endswith(".events") for h in listed)


def test_publish_runs_the_handlers_with_work_in_the_tables_order_and_skips_those_done() -> None:
    ran: list[str] = []
    first = handler()(lambda event: ran.append("first"))
    idle = handler(when=lambda event: False)(lambda event: ran.append("idle"))
    last = handler(when=lambda event: "session_log" in event.kinds)(
        lambda event: ran.append("last")
    )
    event = _ingested({"session_log"})
    with _app({RecordsIngested: (first, idle, last)}).app_context():
        assert handlers_for(event) == [first, last]
        publish(event)
        publish(event, done=[first])
        publish(events.RedFlagRaised(uuid.uuid4(), uuid.uuid4(), NOW))  # nobody handles it here
    assert ran == ["first", "last", "last"]


def test_the_table_tells_a_single_record_which_follow_ups_it_has() -> None:
    """What ``tracking`` asks before it writes one record: a pain rating's only follow-up is the
    queue mark, a session log's also the reminders' replan mark, both embedded in the record's
    statement (the request's whole write); an urgent check raises a red flag."""
    queue = flag_events.queue_ingested_days
    replan = reminder_events.replan_after_records
    with _app(wiring.EVENT_HANDLERS).app_context():
        assert handlers_for(_ingested({"pain_rating"})) == [queue]
        assert handlers_for(_ingested({"session_log"})) == [queue, replan]
        assert handlers_for(_ingested({"posture_break"}))[-1:] == [replan]
        assert handlers_for(_ingested({"symptom_check"})) == []
        assert handlers_for(_ingested({"symptom_check"}, urgent=(uuid.uuid4(),))) == [
            flag_events.raise_red_flags
        ]
    embedded = [h for handlers in wiring.EVENT_HANDLERS.values() for h in handlers if h.statement]
    assert embedded == [queue, replan]  # the documented exception: marks for later work
