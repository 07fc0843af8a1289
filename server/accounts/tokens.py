"""JWT wiring: claims, revocation by token family, and problem+json for token errors."""

from __future__ import annotations

import functools
import uuid
from typing import Any

import sqlalchemy as sa
from flask import Response
from flask_jwt_extended import JWTManager

from server.errors import problem
from server.extensions import db


def _unauthorized(detail: str) -> Response:
    return problem(
        401, "Unauthorized", detail, slug="unauthorized", headers={"WWW-Authenticate": "Bearer"}
    )


@functools.cache
def _family_state_statement() -> sa.Select:
    """``SELECT revoked_at FROM token_families WHERE id = :id``, built once (Core, no ORM)."""
    from server.accounts.models import TokenFamily

    families = TokenFamily.__table__
    return sa.select(families.c.revoked_at).where(
        families.c.id == sa.bindparam("id", type_=families.c.id.type)
    )


def family_revoked(family_id: Any) -> bool:
    """True unless ``family_id`` names a login session that is not revoked: one primary-key
    read per request, so a logout in any process takes effect at once.
    """
    if not isinstance(family_id, str):
        return True
    try:
        key = uuid.UUID(family_id)
    except ValueError:
        return True
    row = db.session.execute(_family_state_statement(), {"id": key}).first()
    return row is None or row[0] is not None


def register_token_callbacks(jwt: JWTManager) -> None:
    """Check every token against its family's revocation and answer errors as problem+json."""

    @jwt.token_in_blocklist_loader
    def _family_revoked(_header: dict[str, Any], payload: dict[str, Any]) -> bool:
        return family_revoked(payload.get("fam"))

    @jwt.unauthorized_loader
    def _missing(reason: str) -> Response:
        return _unauthorized("A bearer access token is required.")

    @jwt.invalid_token_loader
    def _invalid(reason: str) -> Response:
        return _unauthorized("The token is invalid.")

    @jwt.expired_token_loader
    def _expired(_header: dict[str, Any], _payload: dict[str, Any]) -> Response:
        return _unauthorized("The token has expired.")

    @jwt.revoked_token_loader
    def _revoked(_header: dict[str, Any], _payload: dict[str, Any]) -> Response:
        return _unauthorized("The token has been revoked.")

    @jwt.needs_fresh_token_loader
    def _not_fresh(_header: dict[str, Any], _payload: dict[str, Any]) -> Response:
        return _unauthorized("A fresh token is required.")

    @jwt.token_verification_failed_loader
    def _failed(_header: dict[str, Any], _payload: dict[str, Any]) -> Response:
        return _unauthorized("The token failed verification.")
