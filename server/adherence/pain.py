"""The pain report: the daily pain series of a date range and the baseline flags use."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app

from server.access import Actor
from server.accounts.models import Patient
from server.adherence.series import DayPain, daily_pain_series
from server.adherence.services import resolve_range
from server.audit import services as audit
from server.clock import utcnow


@dataclass(frozen=True)
class Baseline:
    """The pain baseline as the pain report shows it: ``therapist`` (given when prescribing),
    ``derived`` (the median of the first days with data) or ``none``, as flag evidence names them.
    The flag engine decides it (:func:`flag_baseline`), so the report and the flags always agree.
    """

    value: float | None
    source: str
    days_used: int


@dataclass(frozen=True)
class PainReport:
    patient_id: uuid.UUID
    start: date
    end: date
    days: list[DayPain]
    baseline: Baseline


def flag_baseline(patient: Patient, now: datetime) -> Baseline:
    """The baseline the flag engine judges the patient's pain against today. The flag engine
    sits above adherence: this is ``server.flags.inputs.reported_baseline``, which ``create_app``
    plugs in as ``pain_baseline`` (``server/wiring.py``)."""
    return current_app.extensions["pain_baseline"](patient, now)


def pain_report(
    *,
    patient: Patient,
    start: date | None,
    end: date | None,
    actor: Actor | None,
    baseline: Baseline,
    now: datetime | None = None,
) -> PainReport:
    """Per-day pain (max, mean, morning, headaches) and the given baseline (audited read)."""
    now = now or utcnow()
    start, end = resolve_range(start, end, patient, now)
    days = daily_pain_series(patient.id, start, end)
    actor = actor or audit.SystemActor(patient.clinic_id)  # None: the system (demo checks)
    audit.read("pain.read", actor=actor, patient_id=patient.id, target="patient", now=now)
    return PainReport(patient.id, start, end, days, baseline)
