"""HEP Tracker: home exercise programmes, reminders, adherence and clinical flags."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from server.config import PROJECT_ROOT, check_production_safety, engine_options, load_config

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Application factory: config → extensions → blueprints → errors → cli."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(load_config())
    if overrides:
        app.config.update(overrides)
    app.config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS", engine_options(app.config["SQLALCHEMY_DATABASE_URI"])
    )
    check_production_safety(app.config)
    register_logging(app)
    logging.getLogger("server").info("app created", extra={"mode": app.config["HEP_ENV"]})
    register_extensions(app)
    register_blueprints(app)
    register_metrics(app)
    register_errors(app)
    register_cli(app)
    return app


def register_logging(app: Flask) -> None:
    from server.logs import configure_logging

    configure_logging(app)


def register_extensions(app: Flask) -> None:
    from server import models  # noqa: F401 - every table registered on the metadata
    from server.accounts.tokens import register_token_callbacks
    from server.db import configure_engine
    from server.extensions import api, cors, db, jwt, limiter, migrate
    from server.http import register_http_hardening

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine, ping_after_idle=app.config["DATABASE_PING_AFTER_IDLE_SECONDS"])
    migrate.init_app(
        app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True, compare_type=True
    )
    jwt.init_app(app)
    register_token_callbacks(jwt)
    limiter.init_app(app)
    cors.init_app(app, resources={r"/api/*": {"origins": app.config["CORS_ORIGINS"]}})
    api.init_app(app)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    register_http_hardening(app)
    from server.tracing import RequestIdMiddleware

    # Outermost, so that every response has an id, even one an inner layer refuses early.
    app.wsgi_app = RequestIdMiddleware(app.wsgi_app)  # type: ignore[method-assign]


def register_blueprints(app: Flask) -> None:
    from server.access import assert_every_view_declares_access
    from server.extensions import api
    from server.routing import all_blueprints

    for blueprint in all_blueprints():
        api.register_blueprint(blueprint)
    if app.config.get("BENCH_REFERENCES"):
        from server.bench_refs import blp as bench_references

        app.register_blueprint(bench_references)
    assert_every_view_declares_access(app)
    from server.console import register_console

    register_console(app)  # static files only, after the check that every API view has access


def register_metrics(app: Flask) -> None:
    from server.metrics import register_metrics as serve_metrics

    serve_metrics(app)


def register_errors(app: Flask) -> None:
    from server.accounts.queries import signed_in_language
    from server.errors import register_error_handlers

    register_error_handlers(app)
    # Problems follow Accept-Language, else the language of whoever is signed in.
    app.extensions["reader_language"] = signed_in_language


def register_cli(app: Flask) -> None:
    from server.cli import all_commands

    for command in all_commands():
        app.cli.add_command(command)
