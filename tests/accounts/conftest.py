"""Fixtures of these tests: cheap argon2 parameters for speed."""

from tests.accounts.helpers import cheap_password_hashing

__all__ = ["cheap_password_hashing"]
