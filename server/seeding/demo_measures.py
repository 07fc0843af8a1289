"""Outcome measures of the demo patients: the NDI scheduled at the start and every two weeks,
answered at baseline and two weeks later through the measures services (scored, audited,
flag-evaluated like any response), so the console and the exports have a series to show.

Ayşe (``flare``) improves by 10 points, past the MCID; John (``worsening``) worsens by 8, which
raises ``outcome_worsened``.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from server.access import Actor
from server.accounts.models import Patient, User
from server.clock import local_to_utc
from server.measures import rules
from server.measures import services as measures
from server.programmes.models import ProgrammeRevision

NDI_ITEMS = (
    "pain_intensity",
    "personal_care",
    "lifting",
    "reading",
    "headaches",
    "concentration",
    "work",
    "driving",
    "sleeping",
    "recreation",
)
# Per story: the NDI answers at baseline (24 points) and at week 2.
NDI_ANSWERS = {
    "flare": ((3, 3, 2, 2, 3, 2, 3, 2, 2, 2), (2, 1, 1, 1, 2, 1, 2, 2, 1, 1)),  # 24 → 14
    "worsening": ((3, 3, 2, 2, 3, 2, 3, 2, 2, 2), (4, 3, 3, 3, 4, 3, 4, 3, 2, 3)),  # 24 → 32
}
EVERY_WEEKS = 2


def seed_demo_measures(
    patient: Patient,
    therapist: User,
    revision: ProgrammeRevision,
    story: str,
    start: date,
    tz: ZoneInfo,
    now: datetime,
) -> None:
    """Schedule the NDI on the patient's programme and answer each administration due by now."""
    staff = Actor(therapist.id, therapist.role, therapist.clinic_id)
    schedule = measures.attach_measure(
        actor=staff,
        programme_id=revision.programme_id,
        data={"measure": "NDI", "at_start": True, "every_weeks": EVERY_WEEKS, "at_end": False},
        now=local_to_utc(start - timedelta(days=1), time(11, 5), tz),
    )
    me = Actor(patient.id, "patient", patient.clinic_id)
    occasions = ((rules.START, 0), (rules.PERIODIC, 7 * EVERY_WEEKS))
    for (occasion, day), values in zip(occasions, NDI_ANSWERS.get(story, ()), strict=False):
        due = start + timedelta(days=day)
        at = local_to_utc(due, time(19, 30), tz)
        if at > now:
            break
        administration = rules.administration(schedule.id, occasion, due, schedule.window_days)
        body = {
            "id": uuid.uuid5(administration.id, "demo response"),
            "recorded_at": at,
            "measure": "NDI",
            "administration_id": administration.id,
            "answers": [{"item": k, "value": v} for k, v in zip(NDI_ITEMS, values, strict=True)],
        }
        measures.record_response(actor=me, body=body, now=at + timedelta(minutes=1))
