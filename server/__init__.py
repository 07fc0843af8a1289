"""HEP Tracker: home exercise programmes, reminders, adherence and clinical flags."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from server.config import PROJECT_ROOT, check_production_safety, engine_options, load_config

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Application factory: config → extensions → wiring → blueprints → errors → cli."""
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
    register_wiring(app)
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
    from server.database.engines import configure_engine
    from server.extensions import api, cors, db, init_limiter, jwt, migrate
    from server.http import register_http_hardening

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine, ping_after_idle=app.config["DATABASE_PING_AFTER_IDLE_SECONDS"])
    migrate.init_app(
        app,
        db,
        directory=str(MIGRATIONS_DIR),
        render_as_batch=True,
        compare_type=True,
        user_module_prefix="server.db.",  # the column types, as migrations import them
    )
    jwt.init_app(app)
    register_token_callbacks(jwt)
    init_limiter(app)
    cors.init_app(app, resources={r"/api/*": {"origins": app.config["CORS_ORIGINS"]}})
    api.init_app(app)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    register_http_hardening(app)
    from server.tracing import RequestIdMiddleware

    # Outermost, so that every response has an id, even one an inner layer refuses early.
    app.wsgi_app = RequestIdMiddleware(app.wsgi_app)  # type: ignore[method-assign]


def register_wiring(app: Flask) -> None:
    """Who handles each domain event, and the reads plugged in from above (server/wiring.py)."""
    from server import wiring

    wiring.register(app)


def register_blueprints(app: Flask) -> None:
    from server.access import assert_every_view_declares_access
    from server.accounts.routes import blp as accounts
    from server.adherence.routes import blp as adherence
    from server.audit.routes import blp as audit
    from server.calendar.routes import blp as calendar
    from server.clinics.routes import blp as clinics
    from server.erasure.routes import blp as erasure
    from server.export.routes import blp as export
    from server.extensions import api
    from server.flags.routes import blp as flags
    from server.health import blp as health
    from server.measures.routes import blp as measures
    from server.programmes.routes import blp as programmes
    from server.reminders.routes import blp as reminders
    from server.reports.routes import blp as reports
    from server.tracking.routes import blp as tracking

    # In this order in the spec: it is the console's generated client's order too.
    blueprints = [
        health,
        accounts,
        audit,
        programmes,
        tracking,
        measures,
        adherence,
        flags,
        reminders,
        clinics,
        export,
        calendar,
        reports,
        erasure,
    ]
    for blueprint in blueprints:
        api.register_blueprint(blueprint)
    if app.config.get("BENCH_REFERENCES"):
        from server.bench_refs import blp as bench_references

        app.register_blueprint(bench_references)
    assert_every_view_declares_access(app)
    from server.console import register_console

    register_console(app)  # static files only, after the check that every API view has access


def register_metrics(app: Flask) -> None:
    from server.metrics import register_metrics as serve_metrics
    from server.metrics_backlog import BacklogCollector

    # The backlog gauges read domain tables: plugged in here, as the kernel imports no domain.
    app.extensions["metrics_backlog"] = BacklogCollector
    serve_metrics(app)


def register_errors(app: Flask) -> None:
    from server.error_handlers import register_error_handlers

    # Problems follow Accept-Language, else the language of whoever is signed in (a read that
    # register_wiring plugs in).
    register_error_handlers(app)


def register_cli(app: Flask) -> None:
    from server.accounts.cli import commands as account_commands
    from server.flags.cli import commands as flag_commands
    from server.reminders.cli import commands as reminder_commands
    from server.scheduler import scheduler_cli
    from server.seeding import seed

    for command in [seed, *account_commands, *flag_commands, scheduler_cli, *reminder_commands]:
        app.cli.add_command(command)
