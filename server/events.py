"""Domain events: what happened, published by the domain where it happened, handled above it.

A domain publishes an event instead of calling a domain above it. Handlers run synchronously,
in a fixed order, in the publisher's transaction (they flush, never commit), so a request still
has one commit point. Who handles each event is one table, ``EVENT_HANDLERS`` in
``server/wiring.py``, which ``create_app`` registers: publishing imports no higher domain.

Each handler declares ``when`` it has work for an event and runs only then, so a publisher can
ask before publishing whether anything will write (:func:`handlers_for`): that is how one stored
record knows whether its single statement is the request's whole write (``tracking``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from flask import current_app

E = TypeVar("E")

# --- the events ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleChanged:
    """What a patient's reminders depend on changed: time zone, the reminder switch, quiet or
    working hours, or the questionnaires scheduled on their programme."""

    patient_id: uuid.UUID
    now: datetime


@dataclass(frozen=True)
class ProgrammeRevised:
    """A programme got a new revision (revision 1 included), in force from ``effective_on``
    (the patient's local date)."""

    patient_id: uuid.UUID
    clinic_id: uuid.UUID
    effective_on: date
    now: datetime


@dataclass(frozen=True)
class ProgrammeEnded:
    """A programme was ended; ``last_day`` (the patient's local today) is its last day."""

    patient_id: uuid.UUID
    clinic_id: uuid.UUID
    last_day: date
    now: datetime


@dataclass(frozen=True)
class RecordsIngested:
    """New patient records were stored (one post or a sync batch; replays are not new)."""

    patient_id: uuid.UUID
    clinic_id: uuid.UUID
    kinds: frozenset[str]
    # The local dates of the new records the flag engine judges (all but symptom checks).
    days: frozenset[date]
    # The new symptom checks with a danger sign, in the order they were stored.
    urgent_checks: tuple[uuid.UUID, ...]
    now: datetime


@dataclass(frozen=True)
class RedFlagRaised:
    """A danger sign opened a patient's red flag or was added to it (``cause_id``: the check)."""

    flag_id: uuid.UUID
    cause_id: uuid.UUID
    now: datetime


@dataclass(frozen=True)
class PasswordReset:
    """A clinic-issued code set a patient's password again (not the first time)."""

    user_id: uuid.UUID
    invitation_id: uuid.UUID
    now: datetime


@dataclass(frozen=True)
class ConsentWithdrawn:
    """A patient withdrew their consent to processing: reminders stop, the therapist hears of it
    (``consent_id``: the withdrawn decision). Consenting again publishes ``ScheduleChanged``."""

    patient_id: uuid.UUID
    clinic_id: uuid.UUID
    consent_id: uuid.UUID
    now: datetime


@dataclass(frozen=True)
class PatientErased:
    """A clinic admin erased a patient: each domain removes its part; clinical records are kept
    de-identified or deleted as ``retention`` (the clinic's setting) says."""

    patient_id: uuid.UUID
    clinic_id: uuid.UUID
    retention: str
    now: datetime


# --- handlers and publishing ---------------------------------------------------------------


def always(_event: Any) -> bool:
    return True


@dataclass(frozen=True, eq=False)
class Handler(Generic[E]):
    """One reaction to an event: ``run`` it, in the publisher's transaction, when ``when`` says
    it has work for the event. Everything it runs may write."""

    run: Callable[[E], None]
    when: Callable[[E], bool] = always
    # The one documented exception (see server/wiring.py): the same write as an INSERT … SELECT
    # fed by a SELECT of (patient_id, clinic_id, now, earliest day), which stored records embed
    # in their own statement on PostgreSQL instead of having the handler run.
    statement: Callable[[Any], Any] | None = None

    @property
    def name(self) -> str:
        return f"{self.run.__module__}.{self.run.__qualname__}"


def handler(
    *, when: Callable[[E], bool] = always, statement: Callable[[Any], Any] | None = None
) -> Callable[[Callable[[E], None]], Handler[E]]:
    """Declare a function as an event handler (listed in ``server/wiring.py`` to take effect)."""

    def declare(run: Callable[[E], None]) -> Handler[E]:
        return Handler(run, when, statement)

    return declare


def handlers_for(event: object) -> list[Handler[Any]]:
    """The handlers with work for ``event``, in the order they run."""
    table = current_app.extensions["event_handlers"]
    return [h for h in table.get(type(event), ()) if h.when(event)]


def publish(event: object, *, done: Collection[Handler[Any]] = ()) -> None:
    """Run every handler with work for ``event``, in order, in the caller's transaction;
    ``done``: handlers whose write the caller already made (their ``statement``)."""
    for found in handlers_for(event):
        if found not in done:
            found.run(event)
