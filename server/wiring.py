"""How the domains meet, in two tables that ``create_app`` registers: who handles each domain
event, and the reads a lower layer shows but a higher domain computes.

Both exist because a domain imports only from below (``server/layers.py``): what a higher
domain adds is plugged in here, the one module that names them all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from server import events
from server.accounts import events as accounts
from server.accounts.queries import signed_in_language
from server.calendar import events as calendar
from server.events import Handler
from server.flags import events as flags
from server.flags.inputs import reported_baseline
from server.measures import events as measures
from server.measures.due import due_on
from server.measures.services import record_synced
from server.overview.queries import summarise_patients
from server.programmes import events as programmes
from server.reminders import events as reminders
from server.tracking import events as tracking
from server.tracking.queries import logged_on_day

# Each event's handlers, run in this order in the publisher's transaction (server/events.py).
EVENT_HANDLERS: dict[type, tuple[Handler[Any], ...]] = {
    events.ScheduleChanged: (reminders.replan,),
    events.ProgrammeRevised: (reminders.replan, flags.queue_from_revision),
    events.ProgrammeEnded: (reminders.replan, flags.queue_from_end),
    events.RecordsIngested: (
        flags.raise_red_flags,
        flags.queue_ingested_days,  # the exception below
        reminders.replan_after_records,
    ),
    events.RedFlagRaised: (reminders.alert_therapist,),
    events.PasswordReset: (reminders.notify_password_reset,),
    events.ConsentWithdrawn: (
        reminders.stop_after_withdrawal,
        flags.stop_evaluating,
        calendar.revoke_after_withdrawal,
    ),
    # Each domain erases its own part, the tables that refer to others' first; accounts last.
    events.PatientErased: (
        calendar.erase,
        reminders.erase,
        flags.erase,
        measures.erase,
        tracking.erase,
        programmes.erase,
        accounts.erase,
    ),
}
# The one exception: records stored on PostgreSQL make the flag engine's queue mark
# (flags.queue_ingested_days) and the reminders' replan mark (reminders.replan_after_records)
# inside their own INSERT, data-modifying CTEs beside their audit rows (one record: and the
# patient's last activity, tracking/one_record.py; a sync batch: when every record of it was
# inserted, tracking/batch.py), and publish the event without those handlers. Both are marks
# that the scheduler works off. When no other handler has work for the record (no red
# flag), that one statement is the request's whole write and commits by itself (SOLE_WRITE): the
# service's commonest writes, a pain rating or a session log, send no BEGIN or COMMIT. The insert
# learns which handlers have work from this table (events.handlers_for), so the two cannot drift.

# Reads a lower layer shows but a higher domain computes, by the name the caller looks up in
# app.extensions (the caller's docstring says what it reads).
READS: dict[str, Callable[..., Any] | dict[str, Callable[..., Any]]] = {
    "reader_language": signed_in_language,  # errors (kernel): a problem's default language
    "pain_baseline": reported_baseline,  # adherence's pain report: the flag engine's baseline
    "day_logs": logged_on_day,  # programmes' plan: the day's logged sessions and breaks
    "due_measures": due_on,  # programmes' plan: the outcome questionnaires open that day
    "patient_summaries": summarise_patients,  # accounts' patient endpoints: the overview
    # tracking's sync batch: record kinds of the domains above it, each stored by its own service
    "sync_kinds": {"measure_response": record_synced},
}


def register(app: Flask) -> None:
    """Register both tables on ``app`` (the web app, the scheduler and the CLI alike)."""
    app.extensions["event_handlers"] = EVENT_HANDLERS
    app.extensions.update(READS)
