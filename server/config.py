"""Configuration read from the environment, with safe defaults for the embedded SQLite run."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "dev-only-insecure-secret-change-me"  # noqa: S105 - refused in production
ONE_MIB = 1024 * 1024


# Only these two run with development defaults, and only when asked for by name: a start
# without HEP_ENV is a production start (the safe side), and any other value refuses to start.
DEVELOPMENT_MODES = ("development", "test")
MODES = (*DEVELOPMENT_MODES, "production")


class ConfigError(RuntimeError):
    """Raised when the configuration cannot be used (for example default secrets in production)."""


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _database_url(environ: os._Environ[str] | dict[str, str]) -> str:
    url = environ.get("DATABASE_URL", "").strip()
    if not url:
        instance = PROJECT_ROOT / "instance"
        instance.mkdir(exist_ok=True)
        return f"sqlite:///{instance / 'hep.db'}"
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def load_config(environ: os._Environ[str] | dict[str, str] | None = None) -> dict[str, Any]:
    """Build the Flask config mapping from environment variables."""
    env = os.environ if environ is None else environ
    mode = env.get("HEP_ENV") or "production"
    secret = env.get("SECRET_KEY", DEV_SECRET)
    database_url = _database_url(env)
    return {
        "HEP_ENV": mode,
        "SECRET_KEY": secret,
        "JWT_SECRET_KEY": env.get("JWT_SECRET_KEY", secret),
        "JWT_ACCESS_TOKEN_EXPIRES": timedelta(minutes=int(env.get("ACCESS_TOKEN_MINUTES", "15"))),
        "JWT_REFRESH_TOKEN_EXPIRES": timedelta(days=int(env.get("REFRESH_TOKEN_DAYS", "30"))),
        "JWT_TOKEN_LOCATION": ["headers"],
        # A refresh token presented again this soon after its rotation gets a pair of the same
        # family (two refreshes a phone sent at once); later, a re-use ends the session.
        "REFRESH_REUSE_GRACE_SECONDS": float(env.get("REFRESH_REUSE_GRACE_SECONDS", "10")),
        "SQLALCHEMY_DATABASE_URI": database_url,
        # PostgreSQL: ping a pooled connection before use only after this long idle (0: always).
        "DATABASE_PING_AFTER_IDLE_SECONDS": float(env.get("DATABASE_PING_AFTER_IDLE_SECONDS", "1")),
        "MAX_CONTENT_LENGTH": ONE_MIB,
        # A request body must arrive whole within this many seconds, and one client address may
        # have at most this many bodies being read at once per worker (server/bodies.py).
        "BODY_READ_TIMEOUT_SECONDS": float(env.get("BODY_READ_TIMEOUT_SECONDS", "10")),
        "BODY_READS_PER_CLIENT": int(env.get("BODY_READS_PER_CLIENT", "2")),
        # Reverse proxies in front of the API that append to X-Forwarded-For (and set
        # X-Forwarded-Proto); their hops are trusted for the client's address (rate limits).
        "TRUSTED_PROXIES": int(env.get("TRUSTED_PROXIES", "0")),
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_ENABLED": _bool(env.get("RATELIMIT_ENABLED"), True),
        "RATELIMIT_HEADERS_ENABLED": True,
        # Several deployments (or test runs) sharing one Redis keep their counters apart.
        "RATELIMIT_KEY_PREFIX": env.get("RATELIMIT_KEY_PREFIX", ""),
        "LOGIN_RATE_LIMIT": env.get("LOGIN_RATE_LIMIT", "10 per minute"),
        "LOGIN_ACCOUNT_RATE_LIMIT": env.get("LOGIN_ACCOUNT_RATE_LIMIT", "5 per minute"),
        "ACTIVATE_RATE_LIMIT": env.get("ACTIVATE_RATE_LIMIT", "10 per minute"),
        "ACTIVATE_ACCOUNT_RATE_LIMIT": env.get("ACTIVATE_ACCOUNT_RATE_LIMIT", "5 per minute"),
        # Data exports per user (GET /me/export, /patients/{id}/export): each reads everything.
        "EXPORT_RATE_LIMIT": env.get("EXPORT_RATE_LIMIT", "30 per hour"),
        # A calendar feed per client address; a progress report (a PDF: CPU) per signed-in user.
        "CALENDAR_FEED_RATE_LIMIT": env.get("CALENDAR_FEED_RATE_LIMIT", "60 per minute"),
        "REPORT_RATE_LIMIT": env.get("REPORT_RATE_LIMIT", "10 per minute"),
        # Where the report's DejaVu Sans lives, when not in a usual system font directory.
        "REPORT_FONT_DIR": env.get("REPORT_FONT_DIR", ""),
        "CORS_ORIGINS": [o for o in env.get("CORS_ORIGINS", "").split(",") if o],
        "PUSH_PROVIDER": env.get("PUSH_PROVIDER", "log"),
        "WEBHOOK_URL": env.get("WEBHOOK_URL", ""),
        "WEBHOOK_SECRET": env.get("WEBHOOK_SECRET", ""),
        "WEBHOOK_TIMEOUT_SECONDS": float(env.get("WEBHOOK_TIMEOUT_SECONDS", "5")),
        "FCM_CREDENTIALS_FILE": env.get("FCM_CREDENTIALS_FILE", ""),
        # Later danger signs of one red flag within this many minutes of its alert add to that
        # alert's count instead of sending the therapist another push.
        "URGENT_ALERT_WINDOW_MINUTES": float(env.get("URGENT_ALERT_WINDOW_MINUTES", "15")),
        # Days a scheduled outcome questionnaire stays answerable (its due date included) before
        # it counts as missed, unless the therapist gives the schedule its own window_days.
        "MEASURE_WINDOW_DAYS": int(env.get("MEASURE_WINDOW_DAYS", "7")),
        "SCHEDULER_TICK_SECONDS": int(env.get("SCHEDULER_TICK_SECONDS", "30")),
        "SCHEDULER_BATCH_SIZE": int(env.get("SCHEDULER_BATCH_SIZE", "500")),
        # Workers claiming due reminders side by side on PostgreSQL, each on its own connection.
        "SCHEDULER_CLAIM_WORKERS": int(env.get("SCHEDULER_CLAIM_WORKERS", "2")),
        "FLAG_EVALUATION_SECONDS": int(env.get("FLAG_EVALUATION_SECONDS", "10")),
        "FLAG_SWEEP_SECONDS": int(env.get("FLAG_SWEEP_SECONDS", "900")),
        "DIGEST_CHECK_SECONDS": int(env.get("DIGEST_CHECK_SECONDS", "300")),
        # How often page reads' audit events are spread into one row each (audit.jobs).
        "AUDIT_SPREAD_SECONDS": int(env.get("AUDIT_SPREAD_SECONDS", "10")),
        # GET /metrics: with a token, only to requests bearing it; without, only to direct
        # connections from this machine. The scheduler serves its own on a loopback port (0: off).
        "METRICS_TOKEN": env.get("METRICS_TOKEN", ""),
        "SCHEDULER_METRICS_HOST": env.get("SCHEDULER_METRICS_HOST", "127.0.0.1"),
        "SCHEDULER_METRICS_PORT": int(env.get("SCHEDULER_METRICS_PORT", "0")),
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO"),
        "LOG_FORMAT": env.get("LOG_FORMAT", "json"),
        # Serve the /bench reference endpoints (make bench only; never in production).
        "BENCH_REFERENCES": _bool(env.get("BENCH_REFERENCES"), False),
        # flask-smorest / OpenAPI
        "API_TITLE": "HEP Tracker API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.1.0",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": env.get("SWAGGER_UI_URL", "/api/v1/docs-assets/"),
    }


def engine_options(
    url: str, environ: os._Environ[str] | dict[str, str] | None = None
) -> dict[str, Any]:
    """SQLAlchemy engine options for ``url``: bounded pool and timeouts on PostgreSQL."""
    env = os.environ if environ is None else environ
    # Error messages never carry a statement's parameters (patient details) into logs.
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30}, "hide_parameters": True}
    timeout = int(env.get("DATABASE_CONNECT_TIMEOUT", "3"))
    statement_timeout_ms = int(env.get("DATABASE_STATEMENT_TIMEOUT_MS", "10000"))
    return {
        "hide_parameters": True,
        "pool_size": int(env.get("DATABASE_POOL_SIZE", "5")),
        "max_overflow": int(env.get("DATABASE_MAX_OVERFLOW", "5")),
        "pool_timeout": int(env.get("DATABASE_POOL_TIMEOUT", "5")),
        "connect_args": {
            "connect_timeout": timeout,
            # Sessions in UTC, whatever the server's default (often ``Etc/UTC``): psycopg then
            # reads instants as ``datetime.timezone.utc``, which the UTC columns keep as they
            # are, instead of as a ``ZoneInfo`` each one converts (a seventh of a reminder
            # tick's CPU here). All stored values are instants; no statement casts one by zone.
            "options": f"-c statement_timeout={statement_timeout_ms} -c timezone=UTC",
        },
    }


def check_production_safety(config: dict[str, Any]) -> None:
    """Refuse an unknown mode, and in production (also a start without ``HEP_ENV``) default or
    shared secrets, the embedded database, or rate limits counted per process."""
    mode = config.get("HEP_ENV")
    if mode not in MODES:
        raise ConfigError(
            f"HEP_ENV={mode!r} is not a mode: use production, or development or test for a "
            "local run with development defaults"
        )
    if mode != "production":
        return
    problems = []
    for key in ("SECRET_KEY", "JWT_SECRET_KEY"):
        value = config.get(key) or ""
        if value == DEV_SECRET or len(value) < 32:
            problems.append(f"{key} must be set to a random value of at least 32 characters")
    if config.get("JWT_SECRET_KEY") == config.get("SECRET_KEY"):
        problems.append("JWT_SECRET_KEY must differ from SECRET_KEY")
    if str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite"):
        problems.append("DATABASE_URL must name PostgreSQL (SQLite is the development database)")
    if config.get("RATELIMIT_ENABLED", True) and str(
        config.get("RATELIMIT_STORAGE_URI", "memory://")
    ).startswith("memory://"):
        problems.append(
            "RATELIMIT_STORAGE_URI must name a shared store such as redis://…: memory:// counts "
            "attempts per worker process"
        )
    if config.get("BENCH_REFERENCES"):
        problems.append("BENCH_REFERENCES must be off in production")
    if config.get("PUSH_PROVIDER") == "webhook" and not config.get("WEBHOOK_SECRET"):
        problems.append("WEBHOOK_SECRET must be set when PUSH_PROVIDER=webhook")
    if problems:
        raise ConfigError(
            "production mode (HEP_ENV=production, or HEP_ENV not set): "
            + "; ".join(problems)
            + ". For a local run with development defaults set HEP_ENV=development "
            "(make run does)"
        )
