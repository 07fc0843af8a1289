"""The demo clinic's patients (PRODUCT.md §6): accounts, a programme from a template, and four
weeks of generated history ingested through the normal services, each upload "as of" its own
time and evaluated by the flag engine as of that time, so it sees it as live data.
Idempotent: an existing demo patient is left alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from server.access import Actor
from server.accounts.consents import record_consent
from server.accounts.models import Clinic, Patient, User
from server.accounts.passwords import hash_password
from server.clock import local_date_of, local_to_utc, utcnow
from server.extensions import db
from server.flags import services as flag_services
from server.programmes import services as programme_services
from server.programmes.models import ProgrammeRevision
from server.programmes.rules import items_for_slot
from server.seeding.demo_history import (
    HISTORY_DAYS,
    PROGRESSION_DAY,
    Dose,
    plan_history,
)
from server.seeding.demo_measures import seed_demo_measures
from server.tracking import services
from server.tracking.rules import TimeWindow

DEFAULT_TEMPLATE = "cervicogenic-headache-basic"
RANDOM_SEED = 20260514


def seed_demo_patients(
    clinic: Clinic, therapist: User, specs: Sequence[dict[str, Any]], now: datetime | None = None
) -> int:
    """Create each demo patient that does not exist yet, with history; returns how many."""
    now = now or utcnow()
    created = 0
    for index, spec in enumerate(specs):
        email = spec["email"].lower()
        if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
            continue
        tz = ZoneInfo(spec.get("timezone", clinic.timezone))
        start = local_date_of(now, tz) - timedelta(days=HISTORY_DAYS - 1)
        patient = _create_patient(clinic, therapist, spec, start, tz)
        revisions = _create_programme(patient, therapist, spec, start, tz)
        _ingest_history(patient, spec, revisions, start, tz, RANDOM_SEED + index, now)
        story = spec.get("story", "flare")
        seed_demo_measures(patient, therapist, revisions[0], story, start, tz, now)
        flag_services.evaluate_pending(patient=patient, now=now)  # as the next tick would
        # As if they accepted the text in force in the app: the demo asks for no consent again.
        own = Actor(user_id=patient.id, role="patient", clinic_id=clinic.id)
        record_consent(patient, actor=own, language=spec.get("language", clinic.language), now=now)
        created += 1
    return created


def _create_patient(
    clinic: Clinic, therapist: User, spec: dict[str, Any], start: date, tz: ZoneInfo
) -> Patient:
    joined = local_to_utc(start - timedelta(days=1), time(10, 0), tz)
    user = User(
        clinic_id=clinic.id,
        email=spec["email"].lower(),
        name=spec["name"],
        role="patient",
        language=spec.get("language", clinic.language),
        password_hash=hash_password(spec["password"]),
        created_at=joined,
    )
    db.session.add(user)
    db.session.flush()
    patient = Patient(
        id=user.id,
        clinic_id=clinic.id,
        therapist_id=therapist.id,
        timezone=tz.key,
        birth_year=spec.get("birth_year"),
        created_at=joined,
    )
    db.session.add(patient)
    db.session.flush()
    return patient


def _create_programme(
    patient: Patient, therapist: User, spec: dict[str, Any], start: date, tz: ZoneInfo
) -> list[ProgrammeRevision]:
    """Revision 1 from the template; for the ``flare`` story a progression on day 14."""
    actor = Actor(therapist.id, therapist.role, therapist.clinic_id)
    view = programme_services.create_programme(
        actor=actor,
        patient_id=patient.id,
        start_date=start,
        template=spec.get("template", DEFAULT_TEMPLATE),
        baseline_pain=spec.get("baseline_pain"),
        now=local_to_utc(start - timedelta(days=1), time(11, 0), tz),
    )
    revisions = [view.revision]
    if spec.get("story") == "flare":
        progressed = programme_services.change_intensity(
            actor=actor,
            programme_id=view.programme.id,
            base_revision=1,
            direction="progress",
            reason="Two good weeks: progress one level.",
            now=local_to_utc(start + timedelta(days=PROGRESSION_DAY), time(7, 0), tz),
        )
        revisions.append(progressed.revision)
    return revisions


def _doses(revision: ProgrammeRevision, slot: str) -> list[Dose]:
    doses = []
    for item in items_for_slot(revision.items, slot):
        dosage = item.get("dosage") or {}
        sets, reps = int(dosage.get("sets") or 1), int(dosage.get("reps") or 1)
        doses.append(Dose(item["item_id"], sets, reps))
    return doses


def _ingest_history(
    patient: Patient,
    spec: dict[str, Any],
    revisions: list[ProgrammeRevision],
    start: date,
    tz: ZoneInfo,
    seed: int,
    now: datetime,
) -> None:
    def index_on(day: int) -> int:
        return 1 if len(revisions) > 1 and day >= PROGRESSION_DAY else 0

    plan = plan_history(
        key=patient.user.email,
        story=spec.get("story", "flare"),
        start=start,
        tz=tz,
        schedule_on=lambda day: revisions[index_on(day)].schedule,
        doses_on=lambda day, slot: _doses(revisions[index_on(day)], slot),
        work_days=patient.work_days or [],
        seed=seed,
    )
    for upload in plan:
        if upload.at > now:
            break
        window = TimeWindow.at(upload.at, local_date_of(upload.at, tz))
        items = [services.validate_item(k, d, window) for k, d in upload.items]
        invalid = [item.errors for item in items if item.body is None]
        if invalid:
            raise RuntimeError(f"generated demo record is invalid: {invalid[0]}")
        services.store_items(patient=patient, items=items, actor=None, now=upload.at)
        # What the scheduler's pending-evaluation tick does seconds after a real sync.
        flag_services.evaluate_pending(patient=patient, now=upload.at)
