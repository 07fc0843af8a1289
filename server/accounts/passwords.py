"""Argon2id password hashing and the minimum strength rule."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from server.errors import Unprocessable

MIN_LENGTH = 10
_hasher = PasswordHasher()
# Verified against when the account does not exist, so both paths cost the same.
_DUMMY_HASH = _hasher.hash("timing-equaliser-not-a-password")


def password_problems(password: str) -> list[str]:
    """Messages explaining why ``password`` is too weak; empty when it is acceptable."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"Use at least {MIN_LENGTH} characters.")
    if password.strip() != password or not password.strip():
        problems.append("Do not start or end with spaces.")
    if len(set(password)) < 4:
        problems.append("Use at least 4 different characters.")
    return problems


def require_strong_password(password: str) -> None:
    """Raise 422 with ``errors={"password": [...]}`` when the password is too weak."""
    if problems := password_problems(password):
        raise Unprocessable("The password is too weak.", errors={"password": problems})


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; spends the same work when there is no hash."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
