"""Rate limits on login and activation: per client address and per account.

Limits are read from the config at request time (``LOGIN_RATE_LIMIT``,
``LOGIN_ACCOUNT_RATE_LIMIT``, ``ACTIVATE_RATE_LIMIT``, ``ACTIVATE_ACCOUNT_RATE_LIMIT``); counters
live in ``RATELIMIT_STORAGE_URI`` (memory by default, Redis in production so every worker shares
them). Account keys are digests, so no email or code reaches the limiter's storage or logs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, current_app, request
from flask_limiter.util import get_remote_address

from server.accounts.rules import account_key_digest, normalise_invite_code
from server.extensions import limiter

DEFAULTS = {
    "LOGIN_RATE_LIMIT": "10 per minute",
    "LOGIN_ACCOUNT_RATE_LIMIT": "5 per minute",
    "ACTIVATE_RATE_LIMIT": "10 per minute",
    "ACTIVATE_ACCOUNT_RATE_LIMIT": "5 per minute",
}


def _configured(name: str) -> Callable[[], str]:
    return lambda: current_app.config.get(name) or DEFAULTS[name]


def _body_key(field: str, prefix: str, normalise: Callable[[str], str]) -> Callable[[], str]:
    """The digest of one body field; requests without it share the client address's bucket."""

    def key() -> str:
        body = request.get_json(silent=True)
        value = body.get(field) if isinstance(body, dict) else None
        if not isinstance(value, str) or not value.strip():
            return f"{prefix}-addr:{get_remote_address()}"
        return f"{prefix}:{account_key_digest(normalise(value))}"

    return key


TOO_MANY = "Too many attempts. Wait a little and try again."


def _failed(response: Response) -> bool:
    return response.status_code >= 400


_login_by_address = limiter.limit(
    _configured("LOGIN_RATE_LIMIT"),
    key_func=get_remote_address,
    scope="login-address",
    error_message=TOO_MANY,
)
# Only failed attempts count against an account, so its owner is never locked out by success.
_login_by_account = limiter.limit(
    _configured("LOGIN_ACCOUNT_RATE_LIMIT"),
    key_func=_body_key("email", "login", str.lower),
    scope="login-account",
    deduct_when=_failed,
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
