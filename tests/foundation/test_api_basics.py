"""The HTTP conventions of PRODUCT.md §2: problem+json errors, health, OpenAPI and docs."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from server.config import ONE_MIB
from tests.conftest import make_test_app

PROBLEM = "application/problem+json"


def test_healthz_reports_database_ok(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_is_503_when_the_database_is_unreachable() -> None:
    app = make_test_app(
        "postgresql+psycopg://postgres@127.0.0.1:1/nowhere",
        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 1}},
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.content_type == PROBLEM
    assert response.json["database"] == "unavailable"


def test_openapi_spec_and_docs_are_served(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200
    assert spec.json["openapi"].startswith("3.")
    assert "/healthz" in spec.json["paths"]
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.data
    asset = client.get("/api/v1/docs-assets/swagger-ui-bundle.js")
    assert asset.status_code == 200
    assert b"SwaggerUIBundle" in asset.get_data()
    asset.close()


def test_unknown_path_is_problem_json_404(client: FlaskClient) -> None:
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.content_type == PROBLEM
    assert set(response.json) >= {"type", "title", "status", "detail"}
    assert response.json["status"] == 404


def test_wrong_method_is_problem_json_405(client: FlaskClient) -> None:
    response = client.delete("/healthz")
    assert response.status_code == 405
    assert response.content_type == PROBLEM
    assert "GET" in response.headers["Allow"]


def test_oversize_body_is_problem_json_413(client: FlaskClient) -> None:
    body = b'{"x": "' + b"a" * (ONE_MIB + 10) + b'"}'
    response = client.post(
        "/api/v1/auth/login", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.content_type == PROBLEM


def test_security_headers_are_set(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_sqlite_runs_in_wal_mode_with_foreign_keys(app: Flask, backend: str) -> None:
    if backend != "sqlite":
        return
    from server.extensions import db

    with app.app_context():
        assert db.session.scalar(sa.text("PRAGMA journal_mode")) == "wal"
        assert db.session.scalar(sa.text("PRAGMA foreign_keys")) == 1
