"""Shared fixtures. Every test that takes ``app`` (or anything built on it) runs on SQLite and on
PostgreSQL. Outside CI the PostgreSQL half skips with a message when no server answers; with
``CI=true`` it fails instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import stamp
from hypothesis import settings

from server import create_app
from server.accounts.passwords import use_password_hasher
from server.extensions import db
from tests.budget import MUTATION_EXAMPLES, MUTATION_PROFILE

# Test mode (development defaults) must be asked for: a start without HEP_ENV is a production
# start. ``make test`` sets it; this covers a bare ``pytest`` and the servers the suite starts.
os.environ.setdefault("HEP_ENV", "test")
pytest_plugins = ["tests.factories"]
# argon2id with tiny parameters: the same code paths as production, a fraction of the time.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=256, parallelism=1)

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() == "true"
BACKENDS = ["sqlite", "postgresql"]
# make mutation selects this: the same examples on every run, so a mutant's verdict is stable.
settings.register_profile(
    MUTATION_PROFILE,
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=MUTATION_EXAMPLES,
)


def database_suffix(config: pytest.Config) -> str:
    """Unique per test run and xdist worker, so concurrent runs never share a database."""
    workerinput = getattr(config, "workerinput", {})
    run = workerinput.get("testrunuid", f"{os.getpid()}")[:8]
    return f"{run}_{workerinput.get('workerid', 'main')}"


@pytest.fixture(autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """Every test hashes passwords with ``CHEAP_HASHER`` (factories hash one per user)."""
    previous = use_password_hasher(CHEAP_HASHER)
    yield
    use_password_hasher(previous)


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def postgresql_url(request: pytest.FixtureRequest) -> Iterator[str]:
    name = f"hep_test_{database_suffix(request.config)}"
    try:
        admin = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        message = f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {error}"
        if IN_CI:
            pytest.fail(f"{message} (CI=true requires it)")
        pytest.skip(f"{message}; set TEST_POSTGRES_URL or start the server to run this half")
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    yield f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_schema_ready: set[str] = set()


def make_test_app(database_url: str, **overrides: object) -> Flask:
    """An app on ``database_url`` with test-friendly settings."""
    config = {
        "TESTING": True,
        "HEP_ENV": "test",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "JWT_SECRET_KEY": "test-jwt-secret-key-that-is-long-enough-0123456789",
        "LOG_LEVEL": "WARNING",
    }
    config.update(overrides)
    return create_app(config)


def _reset(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Which database this test runs on."""
    return request.param


@pytest.fixture
def database_url(request: pytest.FixtureRequest, backend: str) -> str:
    return request.getfixturevalue(f"{backend}_url")


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    """A fresh app on an empty schema (created once per backend, emptied after each test).

    No app context stays pushed, so each test-client request gets its own context and session,
    as in production. Use ``app_ctx`` for service tests that call functions directly.
    """
    app = make_test_app(database_url)
    if database_url not in _schema_ready:
        with app.app_context():
            db.drop_all()
            db.create_all()
            # The same schema the migrations build (tests/foundation/test_migrations.py), so it
            # is stamped at their head: /readyz answers ready, as on a migrated database.
            stamp()
        _schema_ready.add(database_url)
    yield app
    _reset(app)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[Flask]:
    """An app context for calling services directly; the session is removed afterwards."""
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def is_postgres(backend: str) -> bool:
    return backend == "postgresql"


@pytest.fixture(scope="session")
def seed_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "seed"


def count(model: type) -> int:
    """Rows of ``model`` in the database."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def _backend_of(nodeid: str) -> str:
    params = nodeid[nodeid.rindex("[") + 1 : -1] if nodeid.endswith("]") else ""
    return next((b for b in BACKENDS if b in params.split("-")), "no database")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many tests ran on each database, and how many are pure (no database)."""
    outcome_of: dict[str, str] = {}
    for outcome in ("passed", "failed", "error", "skipped"):
        for report in terminalreporter.stats.get(outcome, []):
            nodeid = getattr(report, "nodeid", None)
            if nodeid and (outcome != "passed" or report.when == "call"):
                outcome_of.setdefault(nodeid, outcome)
    counts: dict[str, dict[str, int]] = {}
    for nodeid, outcome in outcome_of.items():
        by_outcome = counts.setdefault(_backend_of(nodeid), {})
        by_outcome[outcome] = by_outcome.get(outcome, 0) + 1
    terminalreporter.section("tests per database")
    for backend in (*BACKENDS, "no database"):
        if backend in counts:
            summary = ", ".join(f"{n} {o}" for o, n in sorted(counts[backend].items()))
            terminalreporter.write_line(f"{backend}: {summary}")
