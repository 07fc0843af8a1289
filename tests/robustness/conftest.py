"""Helpers for robustness tests: dedicated databases, a real gunicorn, seeded users with tokens."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from flask import Flask

from server.extensions import db
from tests.conftest import IN_CI, POSTGRES_ADMIN_URL, database_suffix, make_test_app

ROOT = Path(__file__).resolve().parents[2]
SECRET = "robustness-secret-key-that-is-long-enough-0123456789"


def free_port() -> int:
    """A loopback TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def documented(app: Flask) -> set[tuple[str, str]]:
    """Every (METHOD, path) in the app's OpenAPI spec."""
    with app.test_client() as client:
        paths = client.get("/api/v1/openapi.json").json["paths"]
    return {(m.upper(), p) for p, ops in paths.items() for m in ops}


def require_operation(app: Flask, method: str, path: str) -> None:
    """Skip (not fail) while another domain's route has not landed yet."""
    if (method, path) not in documented(app):
        pytest.skip(f"{method} {path} is not available yet")


@pytest.fixture
def dedicated_database(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str], str]:
    """``make(backend)`` → URL of an empty database used by this test only (dropped after)."""
    created: list[str] = []

    def make(backend: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{tmp_path / 'robust.db'}"
        name = f"hep_robust_{database_suffix(request.config)}_{len(created)}"
        try:
            admin = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3)
        except psycopg.OperationalError as error:
            if IN_CI:
                pytest.fail(f"PostgreSQL is required in CI: {error}")
            pytest.skip(f"PostgreSQL is not reachable: {error}")
        with admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace(
            "postgresql://", "postgresql+psycopg://"
        )
        return f"{base}/{name}"

    yield make
    for name in created:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def robust_app(database_url: str, **overrides: Any) -> Flask:
    """A test app with the robustness secret, so a gunicorn with the same env accepts its tokens."""
    return make_test_app(database_url, SECRET_KEY=SECRET, JWT_SECRET_KEY=SECRET, **overrides)


@dataclass(frozen=True)
class Seeded:
    therapist_token: str
    patient_token: str
    patient_id: uuid.UUID
    clinic_id: uuid.UUID


def create_schema_and_seed(app: Flask) -> Seeded:
    """Create every table and one clinic with a therapist and a patient; mint access tokens."""
    from server.accounts.models import Clinic, Patient, User
    from server.accounts.sessions import start_session

    with app.app_context():
        db.create_all()
        clinic = Clinic(name="Robust Clinic")
        db.session.add(clinic)
        db.session.flush()
        therapist = User(clinic_id=clinic.id, email="t@robust.example", name="T", role="therapist")
        patient_user = User(clinic_id=clinic.id, email="p@robust.example", name="P", role="patient")
        db.session.add_all([therapist, patient_user])
        db.session.flush()
        db.session.add(Patient(id=patient_user.id, clinic_id=clinic.id, therapist_id=therapist.id))
        db.session.flush()
        seeded = Seeded(
            start_session(therapist).access_token,
            start_session(patient_user).access_token,
            patient_user.id,
            clinic.id,
        )
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return seeded


class GunicornProcess:
    """The repo's gunicorn config on a free loopback port, in its own process group."""

    def __init__(self, database_url: str, log_path: Path, **env: str):
        self.port = free_port()
        self.log_path = log_path
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SECRET_KEY": SECRET,
            "JWT_SECRET_KEY": SECRET,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "WEB_CONCURRENCY": "2",
            "LOG_LEVEL": "WARNING",
            "FLASK_APP": "wsgi.py",
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "gunicorn"),
                    "-c",
                    "gunicorn.conf.py",
                    "wsgi:app",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log_path.read_text()[-3000:]
            try:
                if self.request("GET", "/healthz", timeout=2)[0] == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"gunicorn did not start: {self.log_path.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL the master and every worker at once (a crash, not a shutdown)."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        if self.process is not None:
            self.process.wait(timeout=10)
            # Workers are in the same process group; wait until none is left holding the port.
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and _group_alive(self.process.pid):
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        timeout: float = 10,
    ) -> tuple[int, bytes]:
        """One request on a fresh connection."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            payload = None if body is None else json.dumps(body)
            all_headers = {"Content-Type": "application/json", **(headers or {})}
            connection.request(method, path, body=payload, headers=all_headers)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def gunicorn_factory(tmp_path: Path) -> Iterator[Callable[..., GunicornProcess]]:
    """``start(database_url, **env)`` → a running GunicornProcess; all are stopped afterwards."""
    started: list[GunicornProcess] = []

    def start(database_url: str, **env: str) -> GunicornProcess:
        server = GunicornProcess(database_url, tmp_path / "gunicorn.log", **env)
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.kill()


def count_rows(database_url: str, table: str, ids: list[str] | None = None) -> dict[str, int]:
    """``{id: copies}`` of rows in ``table`` (optionally only ``ids``), read with a fresh engine."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text(f"SELECT id FROM {table}")).scalars().all()
    finally:
        engine.dispose()
    copies: dict[str, int] = {}
    for value in rows:
        key = str(uuid.UUID(str(value))) if not isinstance(value, uuid.UUID) else str(value)
        copies[key] = copies.get(key, 0) + 1
    if ids is not None:
        return {i: copies.get(i, 0) for i in ids}
    return copies
