"""Migrations are the schema: upgrading an empty database yields exactly the models."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata, render_python_code
from alembic.migration import MigrationContext
from alembic.operations import ops
from flask_migrate import downgrade, upgrade

import server.db
from server.database.types import JSONType, UTCDateTime
from server.extensions import db
from server.flags.models import active_count_trigger_ddl
from server.tracking.models import SUMMARISED, summary_trigger_ddl
from tests.conftest import make_test_app


def test_autogenerate_finds_no_difference_after_upgrade(empty_database_url: str) -> None:
    app = make_test_app(empty_database_url)
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "render_as_batch": True}
            )
            differences = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert differences == [], f"models and migrations differ: {differences}"


def test_downgrade_to_base_and_upgrade_again(empty_database_url: str) -> None:
    app = make_test_app(empty_database_url)
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        upgrade()
        db.engine.dispose()


def test_new_migrations_name_the_column_types_as_the_existing_ones_do() -> None:
    """``import server.db`` in the template resolves every custom type autogenerate renders."""
    app = make_test_app("sqlite://")
    prefix = app.extensions["migrate"].configure_args["user_module_prefix"]
    columns = [sa.Column("at", UTCDateTime(timezone=True)), sa.Column("data", JSONType())]
    upgrade_ops = ops.UpgradeOps(ops=[ops.AddColumnOp("t", column) for column in columns])

    code = render_python_code(upgrade_ops, user_module_prefix=prefix)

    assert "server.db.UTCDateTime(timezone=True)" in code
    assert "server.db.JSONType()" in code
    assert (server.db.UTCDateTime, server.db.JSONType) == (UTCDateTime, JSONType)
    with app.app_context():
        db.engine.dispose()


def _installed_triggers(connection: sa.Connection, prefix: str) -> set[str]:
    """The triggers whose names start with ``prefix``: SQLite's statements, PostgreSQL's
    ``name: body`` of their functions."""
    if connection.dialect.name == "sqlite":
        query = "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND substr(name, 1, ?) = ?"
        return set(connection.exec_driver_sql(query, (len(prefix), prefix)).scalars())
    query = (
        "SELECT t.tgname || ': ' || p.prosrc FROM pg_trigger t "
        "JOIN pg_proc p ON p.oid = t.tgfoid WHERE starts_with(t.tgname, %(prefix)s)"
    )
    return set(connection.exec_driver_sql(query, {"prefix": prefix}).scalars())


def _wanted_triggers(ddl: list[str], dialect: str) -> set[str]:
    """:func:`_installed_triggers` as the models' ``ddl`` installs them."""
    if dialect == "sqlite":
        return {sql.replace("IF NOT EXISTS ", "") for sql in ddl}
    functions = [s for s in ddl if s.startswith("CREATE OR REPLACE FUNCTION")]
    return {f"{sql.split()[4].removesuffix('()')}: {sql.split('$$')[1]}" for sql in functions}


def test_the_migrations_install_the_models_summary_triggers(empty_database_url: str) -> None:
    """The migration's frozen copy of the triggers is what the models install (create_all)."""
    app = make_test_app(empty_database_url)
    with app.app_context():
        upgrade()
        dialect = db.engine.dialect.name
        with db.engine.connect() as connection:
            installed = _installed_triggers(connection, "summarise_")
            counting = _installed_triggers(connection, "count_active_flags")
        db.engine.dispose()
    wanted = _wanted_triggers(summary_trigger_ddl(dialect), dialect)
    assert installed == wanted
    assert len(wanted) == len(SUMMARISED)
    assert counting == _wanted_triggers(active_count_trigger_ddl(dialect), dialect)
    assert len(counting) == (3 if dialect == "sqlite" else 1)
