"""Token pairs: issuing, rotating and revoking refresh-token families."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_jwt_extended import create_access_token, create_refresh_token, decode_token

from server.accounts.models import RefreshToken, TokenFamily, User
from server.clock import utcnow
from server.errors import Unauthorized
from server.extensions import db


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    user: User


def _claims(user: User, family_id: uuid.UUID) -> dict[str, str]:
    return {"role": user.role, "clinic_id": str(user.clinic_id), "fam": str(family_id)}


def _issue(user: User, family: TokenFamily, now: datetime) -> TokenPair:
    claims = _claims(user, family.id)
    access = create_access_token(identity=str(user.id), additional_claims=claims)
    refresh = create_refresh_token(identity=str(user.id), additional_claims=claims)
    payload = decode_token(refresh)
    db.session.add(
        RefreshToken(
            jti=payload["jti"],
            family_id=family.id,
            issued_at=now,
            expires_at=now + current_app.config["JWT_REFRESH_TOKEN_EXPIRES"],
        )
    )
    lifetime = current_app.config["JWT_ACCESS_TOKEN_EXPIRES"]
    return TokenPair(access, refresh, int(lifetime.total_seconds()), user)


def start_session(user: User, *, now: datetime | None = None) -> TokenPair:
    """Open a new token family for ``user`` and return its first access/refresh pair."""
    now = now or utcnow()
    family = TokenFamily(user_id=user.id, created_at=now)
    db.session.add(family)
    db.session.flush()
    return _issue(user, family, now)


def rotate_refresh_token(jti: str, *, now: datetime | None = None) -> TokenPair:
    """Exchange a refresh token for a new pair; re-use of a rotated one revokes the family."""
    now = now or utcnow()
    token = db.session.get(RefreshToken, jti)
    if token is None:
        raise Unauthorized("Unknown refresh token.")
    family = db.session.get(TokenFamily, token.family_id)
    if family is None or family.revoked_at is not None:
        raise Unauthorized("This session has been revoked.")
    claimed = db.session.execute(
        sa.update(RefreshToken)
        .where(RefreshToken.jti == jti, RefreshToken.rotated_at.is_(None))
        .values(rotated_at=now)
    )
    if claimed.rowcount != 1:
        revoke_family(family.id, reason="refresh_reuse", now=now)
        raise Unauthorized(
            "Refresh token re-used; the session has been revoked.", keep_changes=True
        )
    user = db.session.get(User, family.user_id)
    if user is None or not user.is_active:
        raise Unauthorized("The account is disabled.")
    return _issue(user, family, now)


def revoke_family(family_id: uuid.UUID, *, reason: str, now: datetime | None = None) -> None:
    """Revoke every access and refresh token of one login session."""
    db.session.execute(
        sa.update(TokenFamily)
        .where(TokenFamily.id == family_id, TokenFamily.revoked_at.is_(None))
        .values(revoked_at=now or utcnow(), revoked_reason=reason)
    )
