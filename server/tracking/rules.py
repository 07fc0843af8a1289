"""Pure rules of patient records: the accepted time window, logged items against the
prescription, idempotency outcomes, the symptom-check guidance and the event of new records.
No database, no Flask.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from server.events import RecordsIngested
from server.programmes.rules import items_for_slot

PAIN_CONTEXTS = ("morning", "evening", "now", "during_exercise", "after_exercise")
SIDES = ("left", "right", "both")
SYNC_STATUSES = ("created", "duplicate", "invalid", "conflict")
KINDS = ("session_log", "pain_rating", "headache_entry", "posture_break", "symptom_check")
SYMPTOM_KEYS = (
    "thunderclap",
    "neuro_deficit",
    "fever_neck_stiffness",
    "head_neck_trauma",
    "new_over_50",
    "cancer_or_immunosuppression",
    "progressive_unresponsive",
    "exertion_triggered",
)
MAX_FUTURE = timedelta(minutes=5)
MAX_AGE = timedelta(days=60)
CREATED, DUPLICATE, INVALID, CONFLICT = "created", "duplicate", "invalid", "conflict"


def time_window_errors(
    body: Mapping[str, Any], now: datetime, *, local_today: date | None = None
) -> dict[str, list[str]]:
    """Field errors for instants outside [now − 60 days, now + 5 minutes]."""
    return TimeWindow.at(now, local_today).errors(body)


class TimeWindow(NamedTuple):
    """The accepted time window at one instant, its bounds computed once: a sync's 500 bodies
    are judged by the same. ``errors``: :func:`time_window_errors`'."""

    earliest: datetime
    latest: datetime
    local_today: date | None
    first_day: date | None

    @classmethod
    def at(cls, now: datetime, local_today: date | None = None) -> TimeWindow:
        first_day = None if local_today is None else local_today - MAX_AGE
        return cls(now - MAX_AGE, now + MAX_FUTURE, local_today, first_day)

    def errors(self, body: Mapping[str, Any]) -> dict[str, list[str]]:
        recorded, started, day = body.get("recorded_at"), body.get("started_at"), body.get("date")
        earliest, latest, today = self.earliest, self.latest, self.local_today
        if (
            (recorded is None or earliest <= recorded <= latest)
            and (started is None or earliest <= started <= latest)
            and (day is None or today is None or self.first_day <= day <= today)
        ):
            return {}  # the usual case, without the messages below
        errors: dict[str, list[str]] = {}
        for field, instant in (("recorded_at", recorded), ("started_at", started)):
            if instant is None:
                continue
            if instant > self.latest:
                errors[field] = ["Must not be more than 5 minutes in the future."]
            elif instant < self.earliest:
                errors[field] = ["Must not be more than 60 days in the past."]
        if day is not None and self.local_today is not None:
            if day > self.local_today:
                errors["date"] = ["Must not be in the future."]
            elif day < self.first_day:
                errors["date"] = ["Must not be more than 60 days in the past."]
        return errors


@dataclass(frozen=True)
class Prescription:
    """The programme revision in force on a local date (its programme and number), and the items
    and session slots a log of that date may name: those of every revision effective by the
    date's end. Not ``complete``: the items and slots of the revision in force only (a subset:
    a log valid against them is valid against all, see ``prescriptions.prescriptions``)."""

    programme_id: uuid.UUID
    revision_number: int
    items: Sequence[Mapping[str, Any]]
    slots: frozenset[str]
    complete: bool = True


def session_log_errors(
    items: Sequence[Mapping[str, Any]], slot: str, day: date, prescription: Prescription | None
) -> dict[str, list[str]]:
    """``slot`` and ``items`` errors: a slot no schedule in force by local ``day`` names, logged
    items that are not the prescription's items for ``slot``; with nothing prescribed that day,
    a session has no items to log (and any slot).
    """
    if prescription is None:
        if not items:
            return {}
        return {"items": [f"No programme was in force on {day}; log this session without items."]}
    if slot not in prescription.slots:
        return {"slot": [f"No schedule in force by {day} has a {slot} session."]}
    in_slot = {str(item["item_id"]) for item in items_for_slot(prescription.items, slot)}
    in_programme = {str(item["item_id"]) for item in prescription.items}
    messages: dict[str, None] = {}  # ordered, each message once
    for item in items:
        item_id = str(item["item_id"])
        if item_id in in_slot:
            continue
        if item_id in in_programme:
            messages[f"Item {item_id} is not part of the {slot} session."] = None
        else:
            messages[f"Item {item_id} was never prescribed by {day}."] = None
    return {"items": list(messages)} if messages else {}


def envelope_errors(item: Any) -> dict[str, list[str]]:
    """Field errors of a sync item's envelope ``{kind, data}`` (checked by hand: it is hot)."""
    kind, data = (item.get("kind"), item.get("data")) if type(item) is dict else (None, None)
    if type(kind) is str and type(data) is dict and len(item) == 2:
        return {}  # the usual case, without the checks below (500 items a sync)
    if not isinstance(item, Mapping):
        return {"_schema": ["Must be an object with kind and data."]}
    errors = {key: ["Unknown field."] for key in item if key not in ("kind", "data")}
    if not isinstance(item.get("kind"), str):
        errors["kind"] = [
            "Missing data for required field." if "kind" not in item else "Not a valid string."
        ]
    if not isinstance(item.get("data"), Mapping):
        errors["data"] = [
            "Missing data for required field."
            if "data" not in item
            else "Not a valid mapping type."
        ]
    return errors


class Stored(NamedTuple):
    """What the database already holds under a client id (a named tuple, as :class:`Candidate`:
    immutable, made once a record, at a third of a frozen dataclass's cost)."""

    kind: str
    patient_id: uuid.UUID
    digest: str


class Candidate(NamedTuple):
    """A valid record about to be stored (a named tuple: made once a record, 500 a sync)."""

    id: uuid.UUID
    kind: str
    digest: str


def classify(
    candidates: Sequence[Candidate], stored: Mapping[uuid.UUID, Stored], patient_id: uuid.UUID
) -> list[str]:
    """``created``/``duplicate``/``conflict`` for each candidate, in order.

    A stored row with the same kind, patient and digest makes a duplicate; any other stored row
    (another body, another kind, another patient) a conflict. Within the batch the first
    occurrence of an id wins and later ones are judged against it the same way.
    """
    claimed: dict[uuid.UUID, Stored] = dict(stored)
    outcomes = []
    for candidate in candidates:
        previous = claimed.get(candidate.id)
        if previous is None:
            claimed[candidate.id] = Stored(candidate.kind, patient_id, candidate.digest)
            outcomes.append(CREATED)
        elif previous == Stored(candidate.kind, patient_id, candidate.digest):
            outcomes.append(DUPLICATE)
        else:
            outcomes.append(CONFLICT)
    return outcomes


def is_urgent(answers: Mapping[str, bool]) -> bool:
    """Any positive red-flag answer makes the check urgent; a missing key means no."""
    return any(bool(answers.get(key)) for key in SYMPTOM_KEYS)


GUIDANCE = {
    "en": {
        True: (
            "Your answers may point to a serious problem. Call {number} now or go to the "
            "nearest emergency department. Do not do your exercises until a doctor has "
            "checked you. Your physiotherapist has been alerted."
        ),
        False: (
            "Thank you. None of your answers points to an emergency. Carry on with your "
            "programme as planned, and answer these questions again if anything changes."
        ),
    },
    "tr": {
        True: (
            "Yanıtlarınız ciddi bir soruna işaret ediyor olabilir. Hemen {number} numaralı acil "
            "çağrı hattını arayın veya en yakın acil servise gidin. Bir doktor sizi muayene "
            "edene kadar egzersizlerinizi yapmayın. Fizyoterapistiniz bilgilendirildi."
        ),
        False: (
            "Teşekkürler. Yanıtlarınızın hiçbiri acil bir duruma işaret etmiyor. Programınıza "
            "planlandığı gibi devam edin; bir şey değişirse bu soruları yeniden yanıtlayın."
        ),
    },
}


def symptom_guidance(urgent: bool, language: str, emergency_number: str | None) -> str:
    """What to tell the patient after a symptom check, in their language (tr or en)."""
    texts = GUIDANCE.get(language, GUIDANCE["en"])
    return texts[urgent].format(number=emergency_number or "112")


def records_ingested(
    patient_id: uuid.UUID,
    clinic_id: uuid.UUID,
    records: Sequence[tuple[str | None, Mapping[str, Any]]],
    now: datetime,
) -> RecordsIngested:
    """The event of a patient's new records, each ``(kind, stored row)``: the days the flag
    engine judges are those of every kind but symptom checks, whose danger signs it gets apart."""
    return RecordsIngested(
        patient_id=patient_id,
        clinic_id=clinic_id,
        kinds=frozenset(kind for kind, _ in records if kind),
        days=frozenset(row["local_date"] for kind, row in records if kind != "symptom_check"),
        urgent_checks=tuple(
            row["id"] for kind, row in records if kind == "symptom_check" and row["urgent"]
        ),
        now=now,
    )
