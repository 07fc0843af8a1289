"""Login sessions: issuing, rotating and revoking refresh-token families, and changing one's
own password (which ends every other session)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_jwt_extended import create_access_token, create_refresh_token, decode_token

from server.access import Actor
from server.accounts.models import RefreshToken, TokenFamily, User
from server.accounts.passwords import (
    hash_password,
    needs_rehash,
    require_strong_password,
    verify_password,
)
from server.accounts.rules import normalise_email
from server.audit import services as audit
from server.clock import utcnow
from server.errors import (
    AmbiguousLogin,
    TokenInvalid,
    TokenRevoked,
    Unauthorized,
    Unprocessable,
)
from server.extensions import db

BAD_CREDENTIALS = "The email or password is wrong."
WRONG_CURRENT_CREDENTIALS = "The current password is wrong."


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    user: User
    family_id: uuid.UUID


def _claims(user: User, family_id: uuid.UUID) -> dict[str, str]:
    return {"role": user.role, "clinic_id": str(user.clinic_id), "fam": str(family_id)}


def _issue(user: User, family: TokenFamily, now: datetime) -> TokenPair:
    claims = _claims(user, family.id)
    access = create_access_token(identity=str(user.id), additional_claims=claims)
    refresh = create_refresh_token(identity=str(user.id), additional_claims=claims)
    payload = decode_token(refresh, allow_expired=True)
    db.session.add(
        RefreshToken(
            jti=payload["jti"],
            family_id=family.id,
            issued_at=now,
            expires_at=now + current_app.config["JWT_REFRESH_TOKEN_EXPIRES"],
        )
    )
    lifetime = current_app.config["JWT_ACCESS_TOKEN_EXPIRES"]
    return TokenPair(access, refresh, int(lifetime.total_seconds()), user, family.id)


def start_session(user: User, *, now: datetime | None = None) -> TokenPair:
    """Open a new token family for ``user`` and return its first access/refresh pair."""
    now = now or utcnow()
    family = TokenFamily(user_id=user.id, created_at=now)
    db.session.add(family)
    db.session.flush()
    return _issue(user, family, now)


def rotate_refresh_token(
    jti: str, *, family_id: uuid.UUID | None = None, now: datetime | None = None
) -> TokenPair:
    """Exchange a refresh token for a new pair; re-use of a rotated one revokes the family.

    A phone that sends two refreshes at once (two requests racing after a wake-up, or a retry
    whose first answer was lost) presents the same token twice: within
    ``REFRESH_REUSE_GRACE_SECONDS`` of its rotation the second also gets a pair of the same
    family. A re-use after the window is theft or a broken client, and ends the session.
    """
    now = now or utcnow()
    token = db.session.get(RefreshToken, jti) if isinstance(jti, str) else None
    if token is None or (family_id is not None and token.family_id != family_id):
        raise TokenInvalid("Unknown refresh token.")
    family = db.session.get(TokenFamily, token.family_id)
    if family is None or family.revoked_at is not None:
        raise TokenRevoked("This session has been revoked.")
    claimed = db.session.execute(
        sa.update(RefreshToken)
        .where(RefreshToken.jti == jti, RefreshToken.rotated_at.is_(None))
        .values(rotated_at=now)
    )
    if claimed.rowcount != 1 and not _within_reuse_grace(jti, now):
        revoke_family(family.id, reason="refresh_reuse", now=now)
        _audit_session(family.user_id, "auth.refresh_reuse", family.id, now)
        raise TokenRevoked(
            "Refresh token re-used; the session has been revoked.", keep_changes=True
        )
    user = db.session.get(User, family.user_id)
    if user is None or not user.is_active:
        raise TokenRevoked("The account is disabled.")
    return _issue(user, family, now)


def _within_reuse_grace(jti: str, now: datetime) -> bool:
    """Whether an already rotated refresh token was rotated at most the grace window ago
    (read again: a concurrent refresh may have rotated it after this request loaded it)."""
    rotated_at = db.session.scalar(
        sa.select(RefreshToken.rotated_at).where(RefreshToken.jti == jti)
    )
    grace = timedelta(seconds=current_app.config["REFRESH_REUSE_GRACE_SECONDS"])
    return rotated_at is not None and abs(now - rotated_at) <= grace


def revoke_family(family_id: uuid.UUID, *, reason: str, now: datetime | None = None) -> None:
    """Revoke every access and refresh token of one login session."""
    db.session.execute(
        sa.update(TokenFamily)
        .where(TokenFamily.id == family_id, TokenFamily.revoked_at.is_(None))
        .values(revoked_at=now or utcnow(), revoked_reason=reason)
    )


def actor_of(user: User) -> Actor:
    """The ``Actor`` a user acts as (for audit records written outside ``allow``)."""
    return Actor(user_id=user.id, role=user.role, clinic_id=user.clinic_id)


def _audit_session(user_id: uuid.UUID, action: str, family_id: uuid.UUID, now: datetime) -> None:
    user = db.session.get(User, user_id)
    if user is None:
        return
    patient_id = user.id if user.role == "patient" else None
    target = ("session", family_id)
    audit.record(action, actor=actor_of(user), patient_id=patient_id, target=target, now=now)


# Accounts one address may have across clinics that a login checks (each costs an argon2).
MOST_ACCOUNTS_PER_ADDRESS = 5


def _login_candidates(email: str, clinic_id: uuid.UUID | None) -> list[User]:
    """The accounts with this address (in ``clinic_id`` only, when the login names one)."""
    statement = sa.select(User).where(User.email == normalise_email(email))
    if clinic_id is not None:
        statement = statement.where(User.clinic_id == clinic_id)
    statement = statement.order_by(User.created_at, User.id).limit(MOST_ACCOUNTS_PER_ADDRESS)
    return list(db.session.scalars(statement))


def _verified_account(email: str, password: str, clinic_id: uuid.UUID | None) -> User:
    """The one active account with this address whose password this is.

    Addresses are unique per clinic, so one person may be a patient of two clinics. The
    password decides which account: only someone who knows both passwords (the same one)
    learns that both exist, and is asked to name the clinic (409 with the clinics).
    """
    candidates = _login_candidates(email, clinic_id)
    # verify_password spends the same argon2 work when there is no user or no password yet.
    verified = [u for u in candidates if verify_password(u.password_hash, password)]
    if not candidates:
        verify_password(None, password)
    matching = [u for u in verified if u.is_active]
    if not matching:
        raise Unauthorized(BAD_CREDENTIALS)
    if len(matching) > 1:
        clinics = [{"id": str(u.clinic_id), "name": u.clinic.name} for u in matching]
        raise AmbiguousLogin(AMBIGUOUS, clinics=clinics)
    return matching[0]


AMBIGUOUS = "This address and password open accounts at several clinics: name the clinic."


def login(
    email: str,
    password: str,
    *,
    clinic_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> TokenPair:
    """Check the credentials and open a session; unknown email and wrong password look alike."""
    now = now or utcnow()
    user = _verified_account(email, password, clinic_id)
    # A password change or reset, a deactivation or a role change may have committed while
    # argon2 ran. Lock the account's row, read it again, and open the session only if the
    # password just verified is still the account's and the account still active, with the
    # role it has now; a change that commits after this waits for the new session and then
    # revokes it with the others (revoke_all_sessions).
    # FOR NO KEY UPDATE OF users: the account's row only (not the clinic's, which the eager
    # join would lock too, queueing every login behind every write of the clinic), and without
    # waiting for foreign-key checks (an outbox row for this user), which deadlocked with the
    # scheduler and an ingest in the cluster test. Password, role and active changes still wait.
    verified_hash = user.password_hash
    db.session.refresh(user, with_for_update={"key_share": True, "of": User})
    if user.password_hash != verified_hash or not user.is_active:
        raise Unauthorized(BAD_CREDENTIALS)
    if needs_rehash(user.password_hash):  # the configured argon2 parameters have changed
        user.password_hash = hash_password(password)
    pair = start_session(user, now=now)
    _audit_session(user.id, "auth.login", pair.family_id, now)
    return pair


def logout(family_id: uuid.UUID, *, user_id: uuid.UUID, now: datetime | None = None) -> None:
    """End one session: its refresh tokens and its access tokens stop working at once."""
    now = now or utcnow()
    revoke_family(family_id, reason="logout", now=now)
    _audit_session(user_id, "auth.logout", family_id, now)


def revoke_all_sessions(
    user_id: uuid.UUID,
    *,
    reason: str,
    keep: uuid.UUID | None = None,
    now: datetime | None = None,
) -> None:
    """Revoke every open session of a user but ``keep`` (e.g. after a password is set again)."""
    statement = sa.update(TokenFamily).where(
        TokenFamily.user_id == user_id, TokenFamily.revoked_at.is_(None)
    )
    if keep is not None:
        statement = statement.where(TokenFamily.id != keep)
    db.session.execute(statement.values(revoked_at=now or utcnow(), revoked_reason=reason))


def change_password(
    *,
    actor: Actor,
    session_id: uuid.UUID,
    current_password: str,
    new_password: str,
    now: datetime | None = None,
) -> None:
    """Replace the actor's password; every session but ``session_id`` (this one) ends."""
    now = now or utcnow()
    user = db.session.get_one(User, actor.user_id)
    if not verify_password(user.password_hash, current_password):
        raise Unprocessable(
            WRONG_CURRENT_CREDENTIALS, errors={"current_password": [WRONG_CURRENT_CREDENTIALS]}
        )
    require_strong_password(new_password, field="new_password")
    user.password_hash = hash_password(new_password)
    revoke_all_sessions(user.id, reason="password_change", keep=session_id, now=now)
    patient_id = user.id if actor.is_patient else None
    target = ("user", user.id)
    audit.record("auth.password_change", actor=actor, patient_id=patient_id, target=target, now=now)
