"""Rate limits on login and activation: per client address and per account.

Limits are read from the config at request time (``LOGIN_RATE_LIMIT``,
``LOGIN_ACCOUNT_RATE_LIMIT``, ``ACTIVATE_RATE_LIMIT``, ``ACTIVATE_ACCOUNT_RATE_LIMIT``); counters
live in ``RATELIMIT_STORAGE_URI`` (memory by default, Redis in production so every worker shares
them). Account keys are digests, so no email or code reaches the limiter's storage or logs.
A failed password change counts against the same per-account bucket as a failed login.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, current_app, request
from flask_limiter.util import get_remote_address

from server.access import current_actor
from server.accounts.models import User
from server.accounts.rules import account_key_digest, normalise_invite_code
from server.extensions import db, limiter

DEFAULTS = {
    "LOGIN_RATE_LIMIT": "10 per minute",
    "LOGIN_ACCOUNT_RATE_LIMIT": "5 per minute",
    "ACTIVATE_RATE_LIMIT": "10 per minute",
    "ACTIVATE_ACCOUNT_RATE_LIMIT": "5 per minute",
}


def _configured(name: str) -> Callable[[], str]:
    return lambda: current_app.config.get(name) or DEFAULTS[name]


def _account_key(prefix: str, value: str) -> str:
    return f"{prefix}:{account_key_digest(value)}"


def _body_key(field: str, prefix: str, normalise: Callable[[str], str]) -> Callable[[], str]:
    """The digest of one body field; requests without it share the client address's bucket."""

    def key() -> str:
        body = request.get_json(silent=True)
        value = body.get(field) if isinstance(body, dict) else None
        if not isinstance(value, str) or not value.strip():
            return f"{prefix}-addr:{get_remote_address()}"
        return _account_key(prefix, normalise(value))

    return key


def _own_login_key() -> str:
    """The caller's login bucket: the key a login with the account's email would use."""
    return _account_key("login", db.session.get_one(User, current_actor().user_id).email)


TOO_MANY = "Too many attempts. Wait a little and try again."


def _failed(response: Response) -> bool:
    return response.status_code >= 400


def _wrong_current_password(response: Response) -> bool:
    """Only a wrong current password costs a password change an attempt: a weak new one or a
    malformed body says nothing about whether the caller knows the password.
    """
    if response.status_code != 422:
        return False
    body = response.get_json(silent=True)
    errors = body.get("errors") if isinstance(body, dict) else None
    return isinstance(errors, dict) and "current_password" in errors


_login_by_address = limiter.limit(
    _configured("LOGIN_RATE_LIMIT"),
    key_func=get_remote_address,
    scope="login-address",
    error_message=TOO_MANY,
)
# Only failed attempts count against an account, so its owner is never locked out by success.
# Shared: a password change (with a possibly stolen access token) draws on the same bucket.
_login_by_account = limiter.shared_limit(
    _configured("LOGIN_ACCOUNT_RATE_LIMIT"),
    key_func=_body_key("email", "login", str.lower),
    scope="login-account",
    deduct_when=_failed,
    error_message=TOO_MANY,
)
_password_change_by_account = limiter.shared_limit(
    _configured("LOGIN_ACCOUNT_RATE_LIMIT"),
    key_func=_own_login_key,
    scope="login-account",
    deduct_when=_wrong_current_password,
    error_message=TOO_MANY,
)
_activate_by_address = limiter.limit(
    _configured("ACTIVATE_RATE_LIMIT"),
    key_func=get_remote_address,
    scope="activate-address",
    error_message=TOO_MANY,
)
_activate_by_code = limiter.limit(
    _configured("ACTIVATE_ACCOUNT_RATE_LIMIT"),
    key_func=_body_key("invite_code", "activate", normalise_invite_code),
    scope="activate-code",
    error_message=TOO_MANY,
)


def login_rate_limited(view: Callable[..., Any]) -> Callable[..., Any]:
    """Limit a login view per client address and per email (failed attempts)."""
    return _login_by_address(_login_by_account(view))


def activate_rate_limited(view: Callable[..., Any]) -> Callable[..., Any]:
    """Limit an activation view per client address and per invitation code."""
    return _activate_by_address(_activate_by_code(view))


def password_change_rate_limited(view: Callable[..., Any]) -> Callable[..., Any]:
    """Count a view's failures against the caller's login bucket; it must run under ``allow``."""
    return _password_change_by_account(view)
