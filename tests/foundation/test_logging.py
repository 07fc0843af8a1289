"""Logs never carry what a failing statement or request held: tracebacks without messages."""

from __future__ import annotations

import io
import logging

import sqlalchemy as sa
from pythonjsonlogger.json import JsonFormatter

from server.config import engine_options
from server.logs import RedactingFilter

EMAIL = "ayse.patient@clinic.example"


def _render(formatter: logging.Formatter) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("tests.logging")
    logger.addHandler(handler)
    # Disposed after: Python 3.13 warns of a SQLite connection left open (an error here).
    engine = sa.create_engine("sqlite://")
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE users (email TEXT UNIQUE)")
            connection.exec_driver_sql("INSERT INTO users VALUES (?)", (EMAIL,))
            try:
                # The driver's message names the column; SQLAlchemy's adds the parameters.
                connection.exec_driver_sql("INSERT INTO users VALUES (?)", (EMAIL,))
            except sa.exc.IntegrityError:
                try:
                    raise RuntimeError(f"while adding {EMAIL}")  # chained, message quotes input
                except RuntimeError:
                    logger.exception("unhandled error", extra={"email": EMAIL})
    finally:
        logger.removeHandler(handler)
        engine.dispose()
    return stream.getvalue()


def test_a_logged_exception_names_types_and_frames_but_no_message() -> None:
    for formatter in (
        logging.Formatter("%(levelname)s %(message)s"),
        JsonFormatter("%(levelname)s %(message)s"),
    ):
        output = _render(formatter)
        assert EMAIL not in output
        assert "sqlalchemy.exc.IntegrityError" in output
        assert "builtins.RuntimeError" in output
        assert "test_logging.py" in output  # where it happened is still there
        assert "unhandled error" in output


def test_engines_hide_statement_parameters_from_error_messages() -> None:
    for url in ("sqlite:///x.db", "postgresql+psycopg://u@127.0.0.1/db"):
        assert engine_options(url)["hide_parameters"] is True
