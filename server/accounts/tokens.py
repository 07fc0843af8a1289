"""JWT wiring: claims, revocation by token family, and problem+json for token errors."""

from __future__ import annotations

import functools
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jwt as pyjwt
import sqlalchemy as sa
from flask import Response, current_app, request
from flask_jwt_extended import JWTManager, view_decorators
from flask_jwt_extended.exceptions import JWTDecodeError
from sqlalchemy import orm

from server.access import Actor, is_read_request, remember_scoped
from server.accounts.models import ROLES, Patient, TokenFamily, User
from server.errors import TokenExpired, TokenInvalid, TokenMissing, TokenRevoked, problem_of
from server.extensions import db


@dataclass(frozen=True)
class TokenSubject:
    """What a token says about its bearer: checked against the family it names on every use."""

    user_id: uuid.UUID
    role: str
    clinic_id: uuid.UUID
    family_id: uuid.UUID


def token_subject(claims: dict[str, Any]) -> TokenSubject:
    """The subject, role, clinic and family a token names; a signed token without them (or
    with values this service never issues) is invalid (401), never an error later on."""
    try:
        subject = TokenSubject(
            user_id=uuid.UUID(claims["sub"]),
            role=claims["role"],
            clinic_id=uuid.UUID(claims["clinic_id"]),
            family_id=uuid.UUID(claims["fam"]),
        )
    except (AttributeError, KeyError, TypeError, ValueError):
        raise JWTDecodeError("The token lacks the claims this service issues.") from None
    if subject.role not in ROLES:
        raise JWTDecodeError("The token names a role this service does not issue.")
    return subject


def _family_bound_to(families: sa.TableClause, users: sa.TableClause) -> list[Any]:
    """``WHERE`` terms: the family named is the subject's own, and the subject still has the
    role and clinic the token claims (a role change ends every session, so the role now is
    the role as issued). A token forged with a leaked key cannot borrow another's session."""
    return [
        families.c.id == sa.bindparam("family_id", type_=families.c.id.type),
        families.c.user_id == sa.bindparam("user_id", type_=families.c.user_id.type),
        users.c.id == families.c.user_id,
        users.c.role == sa.bindparam("role", type_=users.c.role.type),
        users.c.clinic_id == sa.bindparam("clinic_id", type_=users.c.clinic_id.type),
    ]


@functools.cache
def _family_state_statement() -> sa.Select:
    """``SELECT revoked_at FROM token_families JOIN users`` where the family is the subject's
    own, built once (Core, no ORM)."""
    families, users = TokenFamily.__table__, User.__table__.alias("bearer")
    return (
        sa.select(families.c.revoked_at)
        .select_from(families)
        .join(users, users.c.id == families.c.user_id)
        .where(*_family_bound_to(families, users))
    )


def _bind_params(subject: TokenSubject) -> dict[str, Any]:
    return {
        "family_id": subject.family_id,
        "user_id": subject.user_id,
        "role": subject.role,
        "clinic_id": subject.clinic_id,
    }


def family_revoked(claims: dict[str, Any]) -> bool:
    """True unless the token's family is a live login session of the token's own subject,
    role and clinic: one primary-key read per request, so a logout in any process takes
    effect at once.
    """
    subject = token_subject(claims)
    row = db.session.execute(_family_state_statement(), _bind_params(subject)).first()
    return row is None or row[0] is not None


@functools.cache
def _family_and_patient_statement(with_user: bool) -> sa.Select:
    """The family's ``revoked_at`` (bound to its subject as in :func:`family_revoked`) and,
    outer-joined, the patient's own row, ``with_user`` its user too (not the clinic): ``FROM
    token_families JOIN users LEFT JOIN patients ON id AND clinic [LEFT JOIN users …] WHERE
    family id``. The patient join is outer, so a missing patient row never hides the family.
    """
    families, users = TokenFamily.__table__, User.__table__.alias("bearer")
    own_row = sa.and_(
        Patient.id == families.c.user_id,
        Patient.clinic_id == users.c.clinic_id,
    )
    user = (
        orm.joinedload(Patient.user, innerjoin=False).lazyload(User.clinic)
        if with_user
        else orm.lazyload(Patient.user)
    )
    return (
        sa.select(families.c.revoked_at, Patient)
        .select_from(families)
        .join(users, users.c.id == families.c.user_id)
        .outerjoin(Patient, own_row)
        .where(*_family_bound_to(families, users))
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
    subject = token_subject(claims)
    statement = _family_and_patient_statement(is_read_request())
    row = db.session.execute(statement, _bind_params(subject)).first()
    if row is None or row[0] is not None:
        return True
    if row[1] is not None:
        actor = Actor(user_id=subject.user_id, role=subject.role, clinic_id=subject.clinic_id)
        remember_scoped(Patient, subject.user_id, actor, row[1])
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
    decode. Private parts of flask-jwt-extended are replaced: pyproject.toml pins the versions
    tests/accounts/test_jwt_internals.py checks.
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


def _bearer_in_any_case(read_header: Any) -> Any:
    """flask-jwt-extended's header reader, taking the ``Bearer`` scheme in any case (RFC 9110:
    schemes are case-insensitive; some HTTP clients send ``bearer``)."""

    @functools.wraps(read_header)
    def read_any_case() -> Any:
        header = request.headers.get("Authorization", "")
        scheme, space, rest = header.strip().partition(" ")
        if space and scheme != "Bearer" and scheme.lower() == "bearer":
            request.environ["HTTP_AUTHORIZATION"] = f"Bearer {rest.strip()}"
        return read_header()

    read_any_case.bearer_in_any_case = True  # type: ignore[attr-defined]
    return read_any_case


def register_token_callbacks(jwt: JWTManager) -> None:
    """Check every token against its family (live, and its subject's own) and answer each kind
    of token problem as its own problem+json type."""
    remember_verified_tokens(jwt)
    if not getattr(view_decorators._decode_jwt_from_headers, "bearer_in_any_case", False):
        view_decorators._decode_jwt_from_headers = _bearer_in_any_case(
            view_decorators._decode_jwt_from_headers
        )

    @jwt.token_in_blocklist_loader
    def _family_revoked(_header: dict[str, Any], payload: dict[str, Any]) -> bool:
        if payload.get("type") == "access" and payload.get("role") == "patient":
            return patient_session_revoked(payload)
        return family_revoked(payload)

    @jwt.unauthorized_loader
    def _missing(reason: str) -> Response:
        return problem_of(TokenMissing("A bearer token is required."))

    @jwt.invalid_token_loader
    def _invalid(reason: str) -> Response:
        return problem_of(TokenInvalid("The token is invalid."))

    @jwt.expired_token_loader
    def _expired(_header: dict[str, Any], _payload: dict[str, Any]) -> Response:
        return problem_of(TokenExpired("The token has expired."))

    @jwt.revoked_token_loader
    def _revoked(_header: dict[str, Any], _payload: dict[str, Any]) -> Response:
        return problem_of(TokenRevoked("The token has been revoked."))

    @jwt.needs_fresh_token_loader
    def _not_fresh(_header: dict[str, Any], _payload: dict[str, Any]) -> Response:
        return problem_of(TokenInvalid("A fresh token is required."))

    @jwt.token_verification_failed_loader
    def _failed(_header: dict[str, Any], _payload: dict[str, Any]) -> Response:
        return problem_of(TokenInvalid("The token failed verification."))
