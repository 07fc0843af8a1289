"""One account per email address in a clinic: the check before an insert, and a 409 (not a
500) when two writers race past it."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from server.accounts.models import User
from server.errors import Conflict, Unprocessable
from server.extensions import db
from server.validation import email_problems

EMAIL_TAKEN = "An account with this email address already exists in this clinic."


def insert_unique(*rows: Any) -> None:
    """Add and flush rows; a unique-email race surfaces as 409, not 500."""
    db.session.add_all(rows)
    try:
        db.session.flush()
    except IntegrityError as error:
        raise Conflict(EMAIL_TAKEN) from error


def require_free_email(email: str, clinic_id: uuid.UUID) -> None:
    """409 for an address this clinic already uses; another clinic's accounts are not looked
    at, so creating someone says nothing about whether another clinic knows them."""
    if problems := email_problems(email):
        raise Unprocessable(problems[0], errors={"email": problems})
    taken = sa.select(User.id).where(User.clinic_id == clinic_id, User.email == email)
    if db.session.scalar(taken) is not None:
        raise Conflict(EMAIL_TAKEN)
