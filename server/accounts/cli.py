"""Operator commands for clinics and staff accounts.

Passwords are never command-line arguments (they would land in shell history and ``ps``): they
are prompted for without echo on a terminal, or read as one line from standard input.
"""

from __future__ import annotations

import sys
import uuid

import click
from flask.cli import with_appcontext

from server.accounts import services
from server.accounts.models import LANGUAGES, STAFF_ROLES, User
from server.accounts.rules import is_iana_timezone
from server.commit import committed
from server.errors import AppError


def _read_password() -> str:
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise click.ClickException("Give the password as one line on standard input.")
    return password


def _fail(error: AppError) -> click.ClickException:
    problems = (error.errors or {}).items()
    details = "; ".join(f"{field}: {' '.join(map(str, msgs))}" for field, msgs in problems)
    return click.ClickException(f"{error.detail} {details}".strip())


def _created(kind: str, user: User) -> None:
    click.echo(f"created {kind} {user.id} ({user.role}) in clinic {user.clinic_id}")


@click.command("create-clinic")
@click.option("--name", required=True, help="The clinic's name.")
@click.option("--timezone", required=True, help="IANA time zone, e.g. Europe/Istanbul.")
@click.option("--admin-email", required=True, help="Login of the clinic's first admin.")
@click.option("--admin-name", required=True, help="Display name of the first admin.")
@click.option("--language", type=click.Choice(LANGUAGES), default="tr", show_default=True)
@click.option("--emergency-number", default="112", show_default=True)
@with_appcontext
def create_clinic(
    name: str,
    timezone: str,
    admin_email: str,
    admin_name: str,
    language: str,
    emergency_number: str,
) -> None:
    """Create a clinic and its first admin; the admin's password is read from stdin."""
    if not is_iana_timezone(timezone):
        raise click.BadParameter("not a known IANA time zone", param_hint="--timezone")
    password = _read_password()
    try:
        with committed():
            clinic = services.create_clinic(
                name=name, timezone=timezone, language=language, emergency_number=emergency_number
            )
            admin = services.create_staff(
                clinic_id=clinic.id,
                email=admin_email,
                name=admin_name,
                password=password,
                role="clinic_admin",
            )
    except AppError as error:
        raise _fail(error) from None
    click.echo(f"created clinic {clinic.id}")
    _created("admin", admin)


@click.command("create-therapist")
@click.option("--clinic-id", required=True, type=click.UUID, help="The clinic to join.")
@click.option("--email", required=True, help="Login of the new account.")
@click.option("--name", required=True, help="Display name.")
@click.option("--role", type=click.Choice(STAFF_ROLES), default="therapist", show_default=True)
@click.option("--language", type=click.Choice(LANGUAGES), default=None)
@with_appcontext
def create_therapist(
    clinic_id: uuid.UUID, email: str, name: str, role: str, language: str | None
) -> None:
    """Create a therapist (or clinic admin); the password is read from stdin."""
    password = _read_password()
    try:
        with committed():
            user = services.create_staff(
                clinic_id=clinic_id,
                email=email,
                name=name,
                password=password,
                role=role,
                language=language,
            )
    except AppError as error:
        raise _fail(error) from None
    _created(role.replace("_", " "), user)


commands: list[click.Command] = [create_clinic, create_therapist]
