"""Argon2id password hashing and the minimum strength rule."""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from server.errors import Unprocessable

MIN_LENGTH = 10


@dataclass
class _Hashing:
    hasher: PasswordHasher
    # Verified against when the account has no password, so both paths cost the same.
    dummy_hash: str | None = None


_hashing = _Hashing(PasswordHasher())


def use_password_hasher(hasher: PasswordHasher) -> PasswordHasher:
    """Swap the argon2 parameters (tests use cheap ones); returns the hasher it replaces."""
    previous = _hashing.hasher
    _hashing.hasher, _hashing.dummy_hash = hasher, None
    return previous


def _dummy_hash() -> str:
    if _hashing.dummy_hash is None:
        _hashing.dummy_hash = _hashing.hasher.hash("timing-equaliser-not-a-password")
    return _hashing.dummy_hash


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
    """An argon2id hash of ``password``."""
    return _hashing.hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; spends the same work when there is no hash."""
    try:
        matches = _hashing.hasher.verify(password_hash or _dummy_hash(), password)
        return matches and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
