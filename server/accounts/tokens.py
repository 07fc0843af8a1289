"""JWT wiring: claims, revocation by token family, and problem+json for token errors."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response
from flask_jwt_extended import JWTManager

from server.errors import problem
from server.extensions import db


def _unauthorized(detail: str) -> Response:
    return problem(
        401, "Unauthorized", detail, slug="unauthorized", headers={"WWW-Authenticate": "Bearer"}
    )


def register_token_callbacks(jwt: JWTManager) -> None:
    """Check every token against its family's revocation and answer errors as problem+json."""
    from server.accounts.models import TokenFamily

    @jwt.token_in_blocklist_loader
    def _family_revoked(_header: dict[str, Any], payload: dict[str, Any]) -> bool:
        family_id = payload.get("fam")
        if family_id is None:
            return True
        try:
            family = db.session.get(TokenFamily, uuid.UUID(family_id))
        except ValueError:
            return True
        return family is None or family.revoked_at is not None

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
