"""The world the authorization matrix attacks: a victim patient in clinic A, and its attackers.

``VICTIM_OBJECTS`` maps a path (or query) parameter name to a builder that returns the id of a
real object owned by the victim. Add an entry when you add a route whose parameter names a new
kind of object; until then the matrix uses a random UUID for it (still checked, less strictly).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from flask import Flask

from server.clock import utcnow
from tests.accounts.helpers import add_headache, add_pain_rating, add_session_log
from tests.factories import ClinicHandle, UserHandle

VICTIM_NAME = "Victoria Victimsdottir"
VICTIM_EMAIL = "victoria.victim@mail.example"


@dataclass
class World:
    """Clinic A holds the victim; clinic B holds the cross-tenant attackers."""

    request: pytest.FixtureRequest
    app: Flask
    clinic_a: ClinicHandle
    therapist_a: UserHandle
    admin_a: UserHandle
    victim: UserHandle
    neighbour: UserHandle  # another patient of clinic A
    therapist_b: UserHandle
    admin_b: UserHandle
    objects: dict[str, uuid.UUID] = field(default_factory=dict)
    fallback: set[str] = field(default_factory=set)
    # What an attacker must never see: things the test never sends them (ids in paths are known
    # to the attacker by construction, so they are not markers; the victim's name, email, notes
    # and the ids of their records are).
    markers: list[str] = field(default_factory=list)

    def fixture(self, name: str) -> object:
        """Any pytest fixture, for builders that need other domains' factories."""
        return self.request.getfixturevalue(name)

    def object_id(self, param: str) -> uuid.UUID:
        """The victim's object for ``param``, built once; a random UUID if no builder is known."""
        if param not in self.objects:
            builder = VICTIM_OBJECTS.get(param)
            if builder is None:
                self.fallback.add(param)
                self.objects[param] = uuid.uuid4()
            else:
                self.objects[param] = builder(self)
        return self.objects[param]


def _programme(world: World) -> uuid.UUID:
    make_programme = world.fixture("make_programme")
    return make_programme(world.victim, start_date=utcnow().date() - timedelta(days=3)).id  # type: ignore[operator]


def _measure_schedule(world: World) -> uuid.UUID:
    from server.extensions import db
    from server.measures.models import MeasureSchedule

    programme_id = world.object_id("programme_id")
    with world.app.app_context():
        schedule = MeasureSchedule(
            clinic_id=world.clinic_a.id,
            patient_id=world.victim.id,
            programme_id=programme_id,
            measure_code="NDI",
            at_start=True,
            every_weeks=4,
            at_end=False,
            created_by=world.therapist_a.id,
        )
        db.session.add(schedule)
        db.session.commit()
        return schedule.id


VICTIM_OBJECTS: dict[str, Callable[[World], uuid.UUID]] = {
    "patient_id": lambda world: world.victim.id,
    "programme_id": _programme,
    "measure_schedule_id": _measure_schedule,
}


def _add_measure_response(app: Flask, victim: UserHandle, recorded_at) -> uuid.UUID:
    """A PSFS baseline of the victim's, naming a private activity (a leak marker)."""
    from server.extensions import db
    from server.measures.models import MeasureResponse

    with app.app_context():
        row = MeasureResponse(
            id=uuid.uuid4(),
            clinic_id=victim.clinic_id,
            patient_id=victim.id,
            recorded_at=recorded_at,
            received_at=recorded_at,
            local_date=recorded_at.date(),
            body_digest="0" * 64,
            measure_code="PSFS",
            measure_version="1",
            answers=[
                {"item": f"activity_{n}", "value": 4, "activity": f"victim-private-activity-{n}"}
                for n in (1, 2, 3)
            ],
            score=4.0,
            prorated=False,
        )
        db.session.add(row)
        db.session.commit()
        return row.id


def build_world(request: pytest.FixtureRequest, app: Flask) -> World:
    """Create both clinics, their staff, the victim with some clinical data, and a neighbour."""
    make_clinic = request.getfixturevalue("make_clinic")
    make_staff = request.getfixturevalue("make_staff")
    make_patient = request.getfixturevalue("make_patient")
    clinic_a, clinic_b = make_clinic(), make_clinic()
    therapist_a = make_staff(clinic_a, email="victim.therapist@clinic-a.example")
    victim = make_patient(therapist_a, name=VICTIM_NAME, email=VICTIM_EMAIL)
    world = World(
        request=request,
        app=app,
        clinic_a=clinic_a,
        therapist_a=therapist_a,
        admin_a=make_staff(clinic_a, role="clinic_admin"),
        victim=victim,
        neighbour=make_patient(therapist_a),
        therapist_b=make_staff(clinic_b),
        admin_b=make_staff(clinic_b, role="clinic_admin"),
    )
    request.getfixturevalue("measure_library")
    now = utcnow()
    record_ids = [
        add_pain_rating(app, victim, 6, now - timedelta(hours=2)),
        add_headache(app, victim, 7, now - timedelta(hours=3), notes="victim-private-note"),
        add_session_log(app, victim, now - timedelta(days=1), pain_after=4),
        _add_measure_response(app, victim, now - timedelta(hours=4)),
    ]
    world.markers += [VICTIM_NAME, VICTIM_EMAIL, "victim-private-note", "victim-private-activity"]
    world.markers += [therapist_a.email, *(str(i) for i in record_ids)]
    return world
