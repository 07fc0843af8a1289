"""Argon2id password hashing and the minimum strength rule.

Parameters: OWASP's Password Storage Cheat Sheet minimum for argon2id, m=19 MiB, t=2, p=1
(RFC 9106 allows trading memory for passes; OWASP lists m=46 MiB/t=1, m=19 MiB/t=2 and
m=12 MiB/t=3 as equivalent). argon2-cffi's default (m=64 MiB, t=3, p=4, RFC 9106's
"low memory" option) costs ~170 ms of CPU per login on 4 threads: on 2 cores a handful of
concurrent logins starve every other request. One thread for ~20 ms keeps logins at tens per
second per core. Override with ``ARGON2_MEMORY_KIB``, ``ARGON2_TIME_COST`` and
``ARGON2_PARALLELISM``. Hashes keep their own parameters, so older hashes still verify; a
successful login stores a new hash when the parameters have changed (:func:`needs_rehash`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from server.errors import Unprocessable

MIN_LENGTH = 10
DEFAULT_MEMORY_KIB = 19 * 1024
DEFAULT_TIME_COST = 2
DEFAULT_PARALLELISM = 1


def hasher_from_environment(environ: Mapping[str, str] | None = None) -> PasswordHasher:
    """The argon2id hasher the environment configures (OWASP's minimum by default)."""
    env = os.environ if environ is None else environ
    return PasswordHasher(
        time_cost=int(env.get("ARGON2_TIME_COST", DEFAULT_TIME_COST)),
        memory_cost=int(env.get("ARGON2_MEMORY_KIB", DEFAULT_MEMORY_KIB)),
        parallelism=int(env.get("ARGON2_PARALLELISM", DEFAULT_PARALLELISM)),
    )


@dataclass
class _Hashing:
    hasher: PasswordHasher | None = None
    # Verified against when the account has no password, so both paths cost the same.
    dummy_hash: str | None = None


_hashing = _Hashing()


def _hasher() -> PasswordHasher:
    if _hashing.hasher is None:
        _hashing.hasher = hasher_from_environment()
    return _hashing.hasher


def use_password_hasher(hasher: PasswordHasher | None) -> PasswordHasher | None:
    """Swap the argon2 parameters (tests use cheap ones); returns the hasher it replaces.

    ``None`` goes back to the environment's parameters.
    """
    previous = _hashing.hasher
    _hashing.hasher, _hashing.dummy_hash = hasher, None
    return previous


def _dummy_hash() -> str:
    if _hashing.dummy_hash is None:
        _hashing.dummy_hash = _hasher().hash("timing-equaliser-not-a-password")
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


def require_strong_password(password: str, *, field: str = "password") -> None:
    """Raise 422 with ``errors={field: [...]}`` when the password is too weak."""
    if problems := password_problems(password):
        raise Unprocessable("The password is too weak.", errors={field: problems})


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher().hash(password)


def needs_rehash(password_hash: str) -> bool:
    """True when ``password_hash`` was made with other argon2 parameters than the current ones."""
    return _hasher().check_needs_rehash(password_hash)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; spends the same work when there is no hash."""
    try:
        matches = _hasher().verify(password_hash or _dummy_hash(), password)
        return matches and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
