"""Issue 25, the probes beside ``/healthz``: ``/livez`` answers while the process is up, with no
database; ``/readyz`` only when the database answers and its schema is at the migrations' head."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from flask_migrate import upgrade

from server.config import PROJECT_ROOT
from server.extensions import db
from tests.conftest import make_test_app

PROBLEM = "application/problem+json"
NOWHERE = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"


def test_the_suites_database_is_ready(client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["migrations"] == "head"


def test_livez_needs_no_database() -> None:
    app = make_test_app(NOWHERE, SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 1}})
    response = app.test_client().get("/livez")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_is_503_when_the_database_is_unreachable() -> None:
    app = make_test_app(NOWHERE, SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 1}})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.content_type == PROBLEM
    assert response.json["database"] == "unavailable"


def test_readyz_waits_for_the_migrations_head(empty_database_url: str) -> None:
    app = make_test_app(empty_database_url)
    client = app.test_client()
    never_migrated = client.get("/readyz")
    assert never_migrated.status_code == 503
    assert never_migrated.content_type == PROBLEM
    assert never_migrated.json["database"] == "ok"
    assert never_migrated.json["migrations"] == "not-at-head"
    assert client.get("/healthz").status_code == 200  # reachable: healthy, not ready

    scripts = ScriptDirectory(str(PROJECT_ROOT / "migrations"))
    (head,) = scripts.get_heads()
    one_behind = scripts.get_revision(head).down_revision
    with app.app_context():
        upgrade(revision=one_behind)
    behind = client.get("/readyz", headers={"Accept-Language": "tr"})
    assert behind.status_code == 503
    assert behind.json["migrations"] == "not-at-head"
    assert "flask db upgrade" in behind.json["detail"]
    assert behind.json["detail"].startswith("Veritabanı")

    with app.app_context():
        upgrade()
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json == {"status": "ok", "database": "ok", "migrations": "head"}
    with app.app_context():
        db.engine.dispose()
