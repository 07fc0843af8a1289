"""Bench databases: create, migrate (``flask db upgrade``), seed a clinic, mint tokens."""

from __future__ import annotations

import hashlib
import os
import random
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import sqlalchemy as sa

from bench.server import ROOT
from cluster.bulk import initial_programme

POSTGRES_ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
BENCH_SECRET = "bench-only-secret-key-0123456789abcdef-0123456789"  # never used outside make bench
PASSWORD = "bench-password-123"
TZ = "Europe/Istanbul"
HISTORY_DAYS = 28
PATIENTS = 200
LOAD_PATIENTS = 16
# Groups of LOAD_PATIENTS signed-in patients: a scenario that piles records on its patients
# (the session log POST: thousands of one day's sessions each) uses a group of its own, so the
# plan's patients keep a day as a real patient has it.
LOAD_GROUPS = 2


@dataclass
class Seeded:
    """Ids and tokens the scenarios need."""

    therapist_email: str
    therapist_token: str
    patient_tokens: list[str]
    patient_ids: list[str] = field(default_factory=list)
    # The programme item ids of each patient of ``patient_tokens``, in the same order;
    # both hold LOAD_GROUPS groups of LOAD_PATIENTS (:func:`patient_group`).
    patient_items: list[list[str]] = field(default_factory=list)


def patient_group(values: list[Any], group: int) -> list[Any]:
    """The ``group``-th LOAD_PATIENTS of ``patient_tokens`` or ``patient_items``."""
    return values[group * LOAD_PATIENTS : (group + 1) * LOAD_PATIENTS]


def postgres_url(name: str) -> str:
    """SQLAlchemy URL of database ``name`` on the bench PostgreSQL server."""
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}"


def recreate_postgres(name: str) -> str:
    """Drop and create database ``name``; return its URL."""
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    return postgres_url(name)


def drop_postgres(name: str) -> None:
    """Drop database ``name``."""
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def server_env(database_url: str) -> dict[str, str]:
    """Environment shared by the migration, the seeding app and gunicorn."""
    return {
        "DATABASE_URL": database_url,
        "SECRET_KEY": BENCH_SECRET,
        "JWT_SECRET_KEY": BENCH_SECRET,
        "ACCESS_TOKEN_MINUTES": "120",
        "BENCH_REFERENCES": "1",
        "LOG_LEVEL": "WARNING",
        # Keep the limiter in the request path but never let it answer 429 during a run.
        "LOGIN_RATE_LIMIT": "1000000 per minute",
        "FLASK_APP": "wsgi.py",
    }


def migrate(database_url: str) -> None:
    """``flask db upgrade`` on ``database_url``, then the bench-only reference table."""
    env = {**os.environ, **server_env(database_url)}
    done = subprocess.run(
        [str(Path(sys.executable).parent / "flask"), "db", "upgrade"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"flask db upgrade failed:\n{done.stderr[-3000:]}")


def seed(database_url: str) -> tuple[Seeded, list[str]]:
    """Seed one clinic: a therapist with 200 patients, programmes and 4 weeks of history.

    Returns the handles and warnings (tables the migrations lack, created here so the run goes on).
    """
    from server import create_app
    from server.bench_refs import bench_metadata
    from server.extensions import db

    app = create_app({**_app_overrides(database_url)})
    warnings: list[str] = []
    with app.app_context():
        drift = schema_drift(db.engine, db.metadata)
        if drift:
            # Measure the code as it is; the lead regenerates migrations separately.
            warnings.append(f"migrations out of step with the models ({drift}); used create_all")
            db.metadata.drop_all(db.engine)
            with db.engine.begin() as connection:
                connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
            db.metadata.create_all(db.engine)
        bench_metadata.create_all(db.engine)
        seeded = _seed_clinic()
        db.session.commit()
        warnings += _sweep_flags()
        db.session.remove()
        warnings += settle(db.engine)
        db.engine.dispose()
    return seeded, warnings


def settle(engine: sa.Engine) -> list[str]:
    """After a bulk load: planner statistics, and the load's dirty pages written out, as a
    database in service would have them (autovacuum, checkpoints), so no measurement runs
    with missing statistics or through a checkpoint of the seed data. Returns warnings.
    """
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
            try:
                connection.exec_driver_sql("CHECKPOINT")
            except sa.exc.DBAPIError as error:  # needs superuser or pg_checkpoint
                return [f"no CHECKPOINT after seeding ({error.orig})"]
    else:
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
        raw = engine.raw_connection()  # outside the app's write-lock listener
        try:
            busy, _, _ = raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            raw.close()
        if busy:
            return ["the WAL checkpoint after seeding could not finish"]
    return []


def autovacuum_is_off(database_url: str) -> bool:
    """Whether the PostgreSQL server at ``database_url`` runs without autovacuum (some test
    machines do). Its planner statistics then never follow a bulk write, and plans that
    psycopg prepared against a nearly empty table (a sequential scan) stay in use.
    """
    with psycopg.connect(_libpq_url(database_url), connect_timeout=3) as connection:
        return connection.execute("SHOW autovacuum").fetchone()[0] == "off"


def analyze(database_url: str) -> None:
    """``ANALYZE`` the whole database: autovacuum's analyze, run by hand."""
    with psycopg.connect(_libpq_url(database_url), autocommit=True, connect_timeout=3) as c:
        c.execute("ANALYZE")


def _libpq_url(database_url: str) -> str:
    return database_url.replace("postgresql+psycopg://", "postgresql://", 1)


def schema_drift(engine: sa.Engine, metadata: sa.MetaData) -> str:
    """Tables and columns the models have but the migrated database lacks (empty: in step)."""
    inspector = sa.inspect(engine)
    existing = set(inspector.get_table_names())
    missing = []
    for table in metadata.sorted_tables:
        if table.name not in existing:
            missing.append(table.name)
            continue
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        missing += [f"{table.name}.{c.name}" for c in table.columns if c.name not in columns]
    return ", ".join(missing)


def _sweep_flags() -> list[str]:
    """Let the flag engine's sweep raise what the seeded history warrants (the flag queue)."""
    from server.extensions import db

    try:
        from server.flags.services import sweep_flags
    except ImportError:
        return ["flag sweep not available: the flag queue starts empty"]
    while sweep_flags(batch_size=100):
        db.session.commit()
    db.session.commit()
    return []


def _app_overrides(database_url: str) -> dict[str, Any]:
    from server.config import engine_options

    url = database_url
    if url.startswith("postgresql://"):
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    return {
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(url),
        "SECRET_KEY": BENCH_SECRET,
        "JWT_SECRET_KEY": BENCH_SECRET,
        "JWT_ACCESS_TOKEN_EXPIRES": timedelta(minutes=120),
        "LOG_LEVEL": "WARNING",
    }


def _seed_clinic() -> Seeded:
    from server.accounts.models import Clinic, Patient, User
    from server.accounts.passwords import hash_password
    from server.accounts.sessions import start_session
    from server.extensions import db

    rng = random.Random(8)
    password_hash = hash_password(PASSWORD)  # once: argon2 is deliberately slow
    clinic = Clinic(name="Bench Clinic", timezone=TZ, language="en")
    db.session.add(clinic)
    db.session.flush()
    therapist = User(
        clinic_id=clinic.id,
        email="therapist@bench.example",
        name="Bench Therapist",
        role="therapist",
        language="en",
        password_hash=password_hash,
    )
    db.session.add(therapist)
    db.session.flush()
    patient_ids = [uuid.uuid4() for _ in range(PATIENTS)]
    db.session.execute(
        sa.insert(User),
        [
            {
                "id": pid,
                "clinic_id": clinic.id,
                "email": f"patient{n}@bench.example",
                "name": f"Bench Patient {n}",
                "role": "patient",
                "language": "en" if n % 2 else "tr",
                "password_hash": password_hash,
            }
            for n, pid in enumerate(patient_ids)
        ],
    )
    db.session.execute(
        sa.insert(Patient),
        [
            {"id": pid, "clinic_id": clinic.id, "therapist_id": therapist.id, "timezone": TZ}
            for pid in patient_ids
        ],
    )
    exercises = _seed_exercises()
    items = _seed_programmes_and_history(clinic.id, therapist.id, patient_ids, exercises, rng)
    therapist_token = start_session(therapist).access_token
    signed_in = patient_ids[: LOAD_PATIENTS * LOAD_GROUPS]
    tokens = [start_session(db.session.get(User, pid)).access_token for pid in signed_in]
    return Seeded(
        therapist.email,
        therapist_token,
        tokens,
        [str(p) for p in patient_ids],
        [items[pid] for pid in signed_in],
    )


def _seed_exercises() -> list[dict[str, Any]]:
    from server.extensions import db
    from server.programmes.models import Exercise

    ladder = [
        {"level": level, "sets": level, "reps": 10, "hold_seconds": 10, "rest_seconds": 30}
        for level in (1, 2, 3, 4)
    ]
    exercises = []
    for n, slug in enumerate(
        ["chin-tuck", "deep-neck-flexor", "scapular-retraction", "neck-rotation"]
    ):
        exercise = Exercise(
            slug=f"bench-{slug}",
            category="neck",
            name={"en": f"Bench exercise {n}", "tr": f"Bench egzersiz {n}"},
            instructions={
                "en": "Move slowly and stop if pain rises.",
                "tr": "Yavaşça hareket edin.",
            },
            ladder=ladder,
        )
        db.session.add(exercise)
        db.session.flush()
        exercises.append({"exercise_id": str(exercise.id), "exercise_slug": exercise.slug})
    return exercises


def _seed_programmes_and_history(
    clinic_id: uuid.UUID,
    therapist_id: uuid.UUID,
    patient_ids: list[uuid.UUID],
    exercises: list[dict[str, Any]],
    rng: random.Random,
) -> dict[uuid.UUID, list[str]]:
    """Each patient's programme and 4 weeks of records; returns each one's programme item ids."""
    from server.extensions import db
    from server.programmes.models import Programme, ProgrammeRevision
    from server.tracking.models import PainRating, SessionLog

    tz = ZoneInfo(TZ)
    today = datetime.now(tz).date()
    start = today - timedelta(days=HISTORY_DAYS)
    start_utc = datetime.combine(start, time(0, 0), tz).astimezone(UTC)
    schedule = {
        "days": [1, 2, 3, 4, 5, 6, 7],
        "slots": [{"slot": "morning", "time": "08:00"}, {"slot": "evening", "time": "19:00"}],
    }
    programmes, revisions, pains, sessions = [], [], [], []
    item_ids: dict[uuid.UUID, list[str]] = {}
    for n, pid in enumerate(patient_ids):
        items = [
            {"item_id": str(uuid.uuid4()), "level": 1, "dosage_override": None, **e}
            for e in exercises
        ]
        item_ids[pid] = [item["item_id"] for item in items]
        programme, revision = initial_programme(
            patient_id=pid,
            clinic_id=clinic_id,
            therapist_id=therapist_id,
            start=start,
            start_utc=start_utc,
            items=items,
            schedule=schedule,
            posture_breaks={"enabled": True, "interval_minutes": 40},
        )
        programmes.append(programme)
        revisions.append(revision)
        for day in range(HISTORY_DAYS):
            local_day = start + timedelta(days=day)
            for slot, hour, context in (("morning", 8, "morning"), ("evening", 19, "evening")):
                at = datetime.combine(local_day, time(hour, 30), tz).astimezone(UTC)
                common = {
                    "clinic_id": clinic_id,
                    "patient_id": pid,
                    "recorded_at": at,
                    "received_at": at,
                    "local_date": local_day,
                }
                pains.append(
                    {
                        **common,
                        "id": uuid.uuid4(),
                        "body_digest": _digest(),
                        # One patient in five has a bad evening late in the history (a flag).
                        "score": 9
                        if (n % 5 == 0 and day == HISTORY_DAYS - 3 and slot == "evening")
                        else rng.randint(1, 6),
                        "context": context,
                    }
                )
                if rng.random() < 0.75:
                    sessions.append(
                        {
                            **common,
                            "id": uuid.uuid4(),
                            "body_digest": _digest(),
                            "slot": slot,
                            "status": rng.choice(("completed", "completed", "partial", "skipped")),
                            "items": [],
                            "exertion": rng.randint(2, 6),
                            "pain_during": rng.randint(1, 5),
                            "pain_after": rng.randint(1, 5),
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
    return item_ids


def _digest() -> str:
    return hashlib.sha256(uuid.uuid4().bytes).hexdigest()


def today_local() -> date:
    """Today's date in the bench clinic's time zone."""
    return datetime.now(ZoneInfo(TZ)).date()
