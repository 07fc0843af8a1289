"""The administrations due to a patient: open on a local date (due by then, its window not yet
over) and not answered. Read by the patient's inbox (``GET /me/measures/due``), by the plan
(plugged in as ``due_measures``, ``server/wiring.py``) and by the reminder planner."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from server.access import Actor, get_scoped
from server.accounts.models import Patient
from server.audit import services as audit
from server.clock import local_date_of, utcnow
from server.extensions import db
from server.measures import rules
from server.measures.models import Measure, MeasureResponse, MeasureSchedule
from server.measures.queries import administrations_by
from server.programmes.models import Programme


@dataclass(frozen=True)
class DueAdministration:
    """One open administration: which measure, on which programme, answerable until when."""

    administration: rules.Administration
    schedule_id: uuid.UUID
    programme_id: uuid.UUID
    measure: str
    name: dict[str, str]

    def as_item(self, language: str) -> dict[str, Any]:
        """As ``DueMeasureOut``: the name in ``language`` (English when it has none)."""
        return {
            "administration_id": self.administration.id,
            "measure": self.measure,
            "name": self.name.get(language) or self.name.get("en", self.measure),
            "occasion": self.administration.occasion,
            "due": self.administration.due,
            "closes": self.administration.closes,
            "programme_id": self.programme_id,
        }


def open_administrations(patient_id: uuid.UUID, tz: ZoneInfo, day: date) -> list[DueAdministration]:
    """The patient's administrations answerable on local ``day`` and not answered, by due date
    and measure: two queries, the schedules with their programmes, then the answered ones."""
    rows = db.session.execute(
        sa.select(MeasureSchedule, Programme, Measure.definition)
        .join(Programme, Programme.id == MeasureSchedule.programme_id)
        .join(Measure, Measure.code == MeasureSchedule.measure_code)
        .where(MeasureSchedule.patient_id == patient_id, Programme.start_date <= day)
    ).all()
    found = [
        DueAdministration(due, schedule.id, programme.id, schedule.measure_code, definition["name"])
        for schedule, programme, definition in rows
        for due in administrations_by(schedule, programme, tz, day)
        if due.answerable_on(day)
    ]
    if not found:
        return []
    answered = set(
        db.session.scalars(
            sa.select(MeasureResponse.administration_id).where(
                MeasureResponse.administration_id.in_([d.administration.id for d in found])
            )
        )
    )
    return sorted(
        (d for d in found if d.administration.id not in answered),
        key=lambda d: (d.administration.due, d.measure, d.administration.id),
    )


def due_on(patient: Patient, day: date) -> list[dict[str, Any]]:
    """The plan's due questionnaires on local ``day``, in the patient's language (``PlanOut``);
    plugged into the programmes' plan as ``due_measures``."""
    due = open_administrations(patient.id, ZoneInfo(patient.timezone), day)
    return [d.as_item(patient.language) for d in due]


def list_due(*, actor: Actor, now: datetime | None = None) -> list[dict[str, Any]]:
    """The signed-in patient's questionnaires open today, in their language (audited read)."""
    now = now or utcnow()
    patient = get_scoped(Patient, actor.user_id, actor)
    today = local_date_of(now, ZoneInfo(patient.timezone))
    items = due_on(patient, today)
    audit.read("measure.due_read", actor=actor, patient_id=patient.id, target="patient", now=now)
    return items


def unanswered_due_dates(
    patient_ids: Collection[uuid.UUID], since: date, days: int = 40
) -> dict[uuid.UUID, set[date]]:
    """Per patient, the local due dates from ``since`` on (``days`` ahead) of administrations
    not answered: the reminder planner announces each on its due date."""
    rows = db.session.execute(
        sa.select(MeasureSchedule, Programme, Patient.timezone)
        .join(Programme, Programme.id == MeasureSchedule.programme_id)
        .join(Patient, Patient.id == MeasureSchedule.patient_id)
        .where(MeasureSchedule.patient_id.in_(list(patient_ids)))
    ).all()
    until = since + timedelta(days=days)
    found = [
        (schedule.patient_id, due)
        for schedule, programme, timezone in rows
        for due in administrations_by(schedule, programme, ZoneInfo(timezone), until)
        if since <= due.due <= until
    ]
    answered = (
        set(
            db.session.scalars(
                sa.select(MeasureResponse.administration_id).where(
                    MeasureResponse.administration_id.in_([due.id for _, due in found])
                )
            )
        )
        if found
        else set()
    )
    dates: dict[uuid.UUID, set[date]] = {}
    for patient_id, due in found:
        if due.id not in answered:
            dates.setdefault(patient_id, set()).add(due.due)
    return dates
