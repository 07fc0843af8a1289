"""JWT wiring: claims, revocation by token family, and problem+json for token errors."""

from __future__ import annotations

import functools
import time
import uuid
from datetime import timedelta
from typing import Any

import jwt as pyjwt
import sqlalchemy as sa
from flask import Response, current_app
from flask_jwt_extended import JWTManager, view_decorators
from sqlalchemy import orm

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


def _family_key(family_id: Any) -> uuid.UUID | None:
    if not isinstance(family_id, str):
        return None
    try:
        return uuid.UUID(family_id)
    except ValueError:
        return None


def family_revoked(family_id: Any) -> bool:
    """True unless ``family_id`` names a login session that is not revoked: one primary-key
    read per request, so a logout in any process takes effect at once.
    """
    key = _family_key(family_id)
    if key is None:
        return True
    row = db.session.execute(_family_state_statement(), {"id": key}).first()
    return row is None or row[0] is not None


@functools.cache
def _family_and_patient_statement(with_user: bool) -> sa.Select:
    """The family's ``revoked_at`` and, outer-joined, the patient's own row, ``with_user`` its
    user too (not the clinic): ``FROM token_families LEFT JOIN patients ON id AND clinic
    [LEFT JOIN users …] WHERE family id``. The joins are outer, so a missing patient row never
    hides the family.
    """
    from server.accounts.models import Patient, TokenFamily, User

    families = TokenFamily.__table__
    own_row = sa.and_(
        Patient.id == sa.bindparam("patient_id", type_=Patient.id.type),
        Patient.clinic_id == sa.bindparam("clinic_id", type_=Patient.clinic_id.type),
    )
    user = (
        orm.joinedload(Patient.user, innerjoin=False).lazyload(User.clinic)
        if with_user
        else orm.lazyload(Patient.user)
    )
    return (
        sa.select(families.c.revoked_at, Patient)
        .select_from(families)
        .outerjoin(Patient, own_row)
        .where(families.c.id == sa.bindparam("family_id", type_=families.c.id.type))
        .options(user)
    )


def patient_session_revoked(claims: dict[str, Any]) -> bool:
    """:func:`family_revoked` for a patient's access token, loading the patient's own row in the
    same query: nearly every patient request needs it, and the request's scoped loads
    (``access.get_scoped``) then find it without another round trip. Reads also load its user
    (they show the patient's name and language); writes, the hottest being a single record,
    rarely need the account and load it on first use: the join cost a record POST 4 % of its
    instructions.
    """
    from server.access import actor_from_claims, is_read_request, remember_scoped
    from server.accounts.models import Patient

    key = _family_key(claims.get("fam"))
    try:
        actor = actor_from_claims(claims)
    except (AttributeError, KeyError, TypeError, ValueError):
        return True  # claims this app never issues
    if key is None:
        return True
    params = {"family_id": key, "patient_id": actor.user_id, "clinic_id": actor.clinic_id}
    row = db.session.execute(_family_and_patient_statement(is_read_request()), params).first()
    if row is None or row[0] is not None:
        return True
    if row[1] is not None:
        remember_scoped(Patient, actor.user_id, actor, row[1])
    return False


# Verified access tokens remembered per app: a phone sends the same token for 15 minutes.
VERIFIED_TOKENS_MAX = 4096


def _now() -> float:
    return time.time()


def _leeway() -> float:
    leeway = current_app.config.get("JWT_DECODE_LEEWAY", 0)
    return leeway.total_seconds() if isinstance(leeway, timedelta) else float(leeway)


def _still_valid(claims: dict[str, Any], allow_expired: bool) -> bool:
    """The time claims PyJWT checks at decode, checked again for a remembered token."""
    now, leeway = _now(), _leeway()
    if not allow_expired and "exp" in claims and claims["exp"] <= now - leeway:
        return False
    return all(claims.get(name, now) <= now + leeway for name in ("nbf", "iat"))


def remember_verified_tokens(jwt: JWTManager) -> None:
    """Decode each token's signature and claims once per app, not on every request.

    flask-jwt-extended decodes a token four times per request (unverified claims, unverified
    header, verified, and the unverified header again after), and PyJWT checks the base64
    alphabet character by character: a quarter of a small POST. A token that verified once
    (same app, so same key and settings) is served from a bounded cache while its time claims
    still hold; when they no longer do it is decoded again, which raises the usual errors.
    The header read after verifying is remembered per token text. Type, revocation
    (:func:`family_revoked`) and claim checks still run on every request: they follow the
    decode.
    """
    decode = jwt._decode_jwt_from_config
    if getattr(decode, "remembers_verified_tokens", False):
        return

    def decode_once(
        encoded_token: str, csrf_value: Any = None, allow_expired: bool = False
    ) -> dict[str, Any]:
        cache = current_app.extensions.setdefault("hep_verified_tokens", {})
        key = (encoded_token, csrf_value, allow_expired)
        claims = cache.get(key)
        if claims is not None and _still_valid(claims, allow_expired):
            return dict(claims)
        claims = decode(encoded_token, csrf_value, allow_expired)
        if len(cache) >= VERIFIED_TOKENS_MAX:
            cache.clear()
        cache[key] = dict(claims)
        return claims

    decode_once.remembers_verified_tokens = True  # type: ignore[attr-defined]
    jwt._decode_jwt_from_config = decode_once  # type: ignore[method-assign]
    view_decorators.get_unverified_jwt_headers = _unverified_headers


@functools.lru_cache(maxsize=VERIFIED_TOKENS_MAX)
def _remembered_headers(encoded_token: str) -> dict[str, Any]:
    return pyjwt.get_unverified_header(encoded_token)


def _unverified_headers(encoded_token: str) -> dict[str, Any]:
    """What ``flask_jwt_extended.get_unverified_jwt_headers`` returns (a pure function of the
    token's text, read after the token verified), decoded once per token, not per request.
    """
    return dict(_remembered_headers(encoded_token))


def register_token_callbacks(jwt: JWTManager) -> None:
    """Check every token against its family's revocation and answer errors as problem+json."""
    remember_verified_tokens(jwt)

    @jwt.token_in_blocklist_loader
    def _family_revoked(_header: dict[str, Any], payload: dict[str, Any]) -> bool:
        if payload.get("type") == "access" and payload.get("role") == "patient":
            return patient_session_revoked(payload)
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
