"""The cluster's clinic: many patients seeded in bulk, reminders due at chosen minutes of today."""

from __future__ import annotations

import hashlib
import random
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from cluster.bulk import initial_programme, insert_streams, mint_access_tokens

TZ = "Europe/Istanbul"
PASSWORD = "cluster-password-123"  # noqa: S105 - the seeded test accounts' only
HISTORY_DAYS = 7
LOGIN_ACCOUNTS = 2  # fresh accounts for the shared rate-limit check, one per probe


@dataclass
class Secrets:
    """The run's own secrets, random each time (the servers start in production mode)."""

    secret_key: str = field(default_factory=lambda: secrets.token_hex(32))
    jwt_secret_key: str = field(default_factory=lambda: secrets.token_hex(32))
    webhook_secret: str = field(default_factory=lambda: secrets.token_hex(16))


@dataclass
class Patient:
    """One seeded patient as the load generator sees it."""

    id: str
    email: str
    token: str
    slots: list[tuple[str, str]]


@dataclass
class Clinic:
    """What the day needs: the patients, the therapist's token and the rate-limit accounts."""

    therapist_token: str
    patients: list[Patient]
    probe_emails: list[str]
    slot_times: list[datetime]
    today: date


def app_config(database_url: str, keys: Secrets) -> dict[str, Any]:
    """The in-process app's config (seeding, checks and the replay): the servers' secrets."""
    from server.config import engine_options

    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(database_url),
        "SECRET_KEY": keys.secret_key,
        "JWT_SECRET_KEY": keys.jwt_secret_key,
        "JWT_ACCESS_TOKEN_EXPIRES": timedelta(minutes=120),
        "LOG_LEVEL": "WARNING",
    }


def slot_minutes(now: datetime, count: int) -> list[datetime]:
    """``count`` whole minutes from the current one on: the day's reminder times, compressed."""
    first = now.astimezone(UTC).replace(second=0, microsecond=0)
    return [first + timedelta(minutes=n) for n in range(count)]


def seed_clinic(patients: int, slot_times: list[datetime], now: datetime) -> Clinic:
    """Seed one clinic in the current app context and commit; returns the load's handles.

    Each patient has two reminder slots at two of ``slot_times`` (local wall times), quiet hours
    off, one push device, a week of history and fresh reminder streams and flag states.
    """
    from server.accounts.models import Clinic as ClinicRow
    from server.accounts.models import Patient as PatientRow
    from server.accounts.models import User
    from server.accounts.passwords import hash_password
    from server.accounts.sessions import start_session
    from server.extensions import db
    from server.reminders.models import Device

    tz = ZoneInfo(TZ)
    password_hash = hash_password(PASSWORD)  # once: argon2 is deliberately slow
    clinic = ClinicRow(name="Cluster Clinic", timezone=TZ, language="en")
    db.session.add(clinic)
    db.session.flush()
    therapist = User(
        clinic_id=clinic.id,
        email="therapist@cluster.example",
        name="Cluster Therapist",
        role="therapist",
        language="en",
        password_hash=password_hash,
    )
    db.session.add(therapist)
    db.session.flush()
    ids = [uuid.uuid4() for _ in range(patients + LOGIN_ACCOUNTS)]
    emails = [f"patient{n}@cluster.example" for n in range(len(ids))]
    db.session.execute(
        sa.insert(User),
        [
            {
                "id": pid,
                "clinic_id": clinic.id,
                "email": email,
                "name": f"Cluster Patient {n}",
                "role": "patient",
                "language": "en" if n % 2 else "tr",
                "password_hash": password_hash,
            }
            for n, (pid, email) in enumerate(zip(ids, emails, strict=True))
        ],
    )
    off = time(0, 0)  # quiet hours from midnight to midnight: none
    db.session.execute(
        sa.insert(PatientRow),
        [
            {
                "id": pid,
                "clinic_id": clinic.id,
                "therapist_id": therapist.id,
                "timezone": TZ,
                "quiet_start": off,
                "quiet_end": off,
            }
            for pid in ids
        ],
    )
    walls = [f"{t.astimezone(tz):%H:%M}" for t in slot_times]
    slots = [
        [("morning", walls[n % len(walls)]), ("evening", walls[(n + 1) % len(walls)])]
        for n in range(patients)
    ]
    _seed_programmes(clinic.id, therapist.id, ids[:patients], slots, now)
    db.session.execute(
        sa.insert(Device),
        [
            {
                "clinic_id": clinic.id,
                "patient_id": pid,
                "platform": "android",
                "token": secrets.token_urlsafe(24),
            }
            for pid in ids[:patients]
        ],
    )
    insert_streams(ids[:patients], now)
    tokens = mint_access_tokens(clinic.id, ids[:patients], now)
    seeded = [
        Patient(str(pid), email, token, slot)
        for pid, email, token, slot in zip(ids, emails, tokens, slots, strict=False)
    ]
    therapist_token = start_session(therapist).access_token
    db.session.commit()
    return Clinic(
        therapist_token, seeded[:patients], emails[patients:], slot_times, now.astimezone(tz).date()
    )


def _seed_programmes(
    clinic_id: uuid.UUID,
    therapist_id: uuid.UUID,
    patient_ids: list[uuid.UUID],
    slots: list[list[tuple[str, str]]],
    now: datetime,
) -> None:
    from server.extensions import db
    from server.programmes.models import Exercise, Programme, ProgrammeRevision
    from server.tracking.models import PainRating, SessionLog

    rng = random.Random(25)
    tz = ZoneInfo(TZ)
    today = now.astimezone(tz).date()
    start = today - timedelta(days=HISTORY_DAYS)
    start_utc = datetime.combine(start, time(0, 0), tz).astimezone(UTC)
    ladder = [{"level": 1, "sets": 2, "reps": 10, "hold_seconds": 5, "rest_seconds": 30}]
    exercises = []
    for slug in ("chin-tuck", "scapular-retraction"):
        exercise = Exercise(
            slug=f"cluster-{slug}",
            category="neck",
            name={"en": slug, "tr": slug},
            instructions={"en": "Move slowly.", "tr": "Yavaşça hareket edin."},
            ladder=ladder,
        )
        db.session.add(exercise)
        db.session.flush()
        exercises.append({"exercise_id": str(exercise.id), "exercise_slug": exercise.slug})
    programmes, revisions, pains, sessions = [], [], [], []
    for pid, patient_slots in zip(patient_ids, slots, strict=True):
        programme, revision = initial_programme(
            patient_id=pid,
            clinic_id=clinic_id,
            therapist_id=therapist_id,
            start=start,
            start_utc=start_utc,
            items=[
                {"item_id": str(uuid.uuid4()), "level": 1, "dosage_override": None, **e}
                for e in exercises
            ],
            schedule={
                "days": [1, 2, 3, 4, 5, 6, 7],
                "slots": [{"slot": s, "time": t} for s, t in patient_slots],
            },
            posture_breaks={"enabled": False, "interval_minutes": 40},
        )
        programmes.append(programme)
        revisions.append(revision)
        for day in range(HISTORY_DAYS):
            local_day = start + timedelta(days=day)
            at = datetime.combine(local_day, time(8, 30), tz).astimezone(UTC)
            common = {
                "clinic_id": clinic_id,
                "patient_id": pid,
                "recorded_at": at,
                "received_at": at,
                "local_date": local_day,
            }
            score = rng.randint(1, 5)
            pains.append({**common, "id": uuid.uuid4(), "body_digest": _digest(), "score": score})
            pains[-1]["context"] = "morning"
            if rng.random() < 0.7:
                sessions.append(
                    {
                        **common,
                        "id": uuid.uuid4(),
                        "body_digest": _digest(),
                        "slot": "morning",
                        "status": "completed",
                        "items": [],
                        "exertion": 4,
                        "pain_during": 2,
                        "pain_after": 2,
                        "notes": None,
                        "programme_id": programme["id"],
                        "revision_number": 1,
                    }
                )
    db.session.execute(sa.insert(Programme), programmes)
    db.session.execute(sa.insert(ProgrammeRevision), revisions)
    for table, rows in ((PainRating, pains), (SessionLog, sessions)):
        for chunk in range(0, len(rows), 2000):
            db.session.execute(sa.insert(table.__table__), rows[chunk : chunk + 2000])


def _digest() -> str:
    return hashlib.sha256(uuid.uuid4().bytes).hexdigest()
