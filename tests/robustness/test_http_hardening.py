"""Security headers, CORS for configured origins, body limits, production start-up checks."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from server import create_app
from server.config import DEV_SECRET, ONE_MIB, ConfigError
from tests.conftest import make_test_app

ROOT = Path(__file__).resolve().parents[2]
WEB_APP = "https://app.hep.example"
STRONG = "a-production-secret-that-is-long-and-random-4f9c2b7e1d"
# A configuration production accepts (nothing connects to the database or Redis at start-up).
PRODUCTION = {
    "HEP_ENV": "production",
    "SECRET_KEY": STRONG,
    "JWT_SECRET_KEY": STRONG[::-1],
    "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://hep@127.0.0.1:5432/hep",
    "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15",
}


@pytest.mark.parametrize("path", ["/healthz", "/api/v1/no-such-thing", "/api/v1/openapi.json"])
def test_every_response_carries_the_security_headers(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in response.headers  # only behind TLS in production


def test_production_adds_hsts() -> None:
    response = create_app(PRODUCTION).test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_cors_allows_only_the_configured_web_origin(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CORS_ORIGINS", f"{WEB_APP},https://staging.hep.example")
    client = make_test_app(sqlite_url).test_client()
    preflight = client.options(
        "/api/v1/auth/login",
        headers={
            "Origin": WEB_APP,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
    )
    assert preflight.status_code in (200, 204)
    assert preflight.headers["Access-Control-Allow-Origin"] == WEB_APP
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "authorization" in preflight.headers["Access-Control-Allow-Headers"].lower()
    simple = client.get("/api/v1/openapi.json", headers={"Origin": WEB_APP})
    assert simple.headers["Access-Control-Allow-Origin"] == WEB_APP
    stranger = client.get("/api/v1/openapi.json", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in stranger.headers


def test_no_cors_origin_is_allowed_unless_configured(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CORS_ORIGINS", raising=False)
    client = make_test_app(sqlite_url).test_client()
    response = client.get("/api/v1/openapi.json", headers={"Origin": WEB_APP})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_oversize_bodies_are_refused_even_without_a_content_length(client: FlaskClient) -> None:
    # A chunked upload announces no length: the limit must hold while the body is read.
    response = client.post(
        "/api/v1/auth/login",
        input_stream=io.BytesIO(b'{"email": "' + b"x" * (3 * ONE_MIB) + b'"}'),
        headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413
    assert response.content_type == "application/problem+json"


@pytest.mark.parametrize(
    ("secret", "jwt_secret"),
    [(DEV_SECRET, STRONG), (STRONG, DEV_SECRET), ("short", "short"), ("", "")],
)
def test_production_refuses_default_or_weak_secrets(secret: str, jwt_secret: str) -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({**PRODUCTION, "SECRET_KEY": secret, "JWT_SECRET_KEY": jwt_secret})


@pytest.mark.parametrize(
    ("unsafe", "named"),
    [
        ({"BENCH_REFERENCES": True}, "BENCH_REFERENCES"),
        ({"JWT_SECRET_KEY": STRONG}, "JWT_SECRET_KEY must differ from SECRET_KEY"),
        ({"SQLALCHEMY_DATABASE_URI": "sqlite:///hep.db"}, "DATABASE_URL must name PostgreSQL"),
        ({"RATELIMIT_STORAGE_URI": "memory://"}, "RATELIMIT_STORAGE_URI"),
        ({"PUSH_PROVIDER": "webhook", "WEBHOOK_SECRET": ""}, "WEBHOOK_SECRET"),
    ],
    ids=["bench references", "one secret for both", "sqlite", "per-process limits", "webhook"],
)
def test_production_refuses_an_unsafe_setting(unsafe: dict[str, object], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        create_app({**PRODUCTION, **unsafe})


def test_bench_reference_endpoints_are_absent_by_default(client: FlaskClient) -> None:
    assert client.get("/bench/trivial").status_code == 404


@pytest.mark.slow
def test_a_production_process_without_secrets_exits_with_a_clear_message(tmp_path: Path) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SECRET_KEY", "JWT_SECRET_KEY", "HEP_ENV"}
    }
    env.update(HEP_ENV="production", DATABASE_URL=f"sqlite:///{tmp_path / 'prod.db'}")
    done = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "SECRET_KEY must be set" in done.stderr


def test_a_body_that_is_not_json_is_415_and_a_bodiless_post_is_not(client: FlaskClient) -> None:
    form = client.post("/api/v1/auth/login", data={"email": "a@b.c", "password": "x"})
    assert form.status_code == 415
    assert form.get_json()["type"] == "/problems/unsupported-media-type"
    text = client.post(
        "/api/v1/auth/login", data='{"email": "a"}', headers={"Content-Type": "text/plain"}
    )
    assert text.status_code == 415
    # No body, no Content-Type: the request goes on (and fails later on the missing token).
    assert client.post("/api/v1/auth/refresh").status_code == 401
    json_body = client.post("/api/v1/auth/login", json={"email": "a@b.c", "password": "x"})
    assert json_body.status_code == 401
