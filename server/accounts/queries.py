"""Reads about accounts that other domains and the app's edges use."""

from __future__ import annotations

import uuid

from flask_jwt_extended import get_jwt

from server.accounts.models import User
from server.extensions import db


def signed_in_language() -> str | None:
    """The language of the user whose access token this request verified, if any."""
    try:
        subject = get_jwt().get("sub")
    except RuntimeError:  # no token was verified in this request
        return None
    user = db.session.get(User, uuid.UUID(subject)) if subject else None
    return user.language if user is not None else None
