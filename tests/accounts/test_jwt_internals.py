"""``server/accounts/tokens.py`` replaces three private parts of flask-jwt-extended: the verified
token decode (remembered per token), the header read after it (remembered per token) and the
``Authorization`` header reader (any case of ``Bearer``). pyproject.toml pins the versions these
were tested against; these tests fail, naming the part, when an upgrade moves one of them.
"""

from __future__ import annotations

import inspect
from importlib.metadata import version

from flask_jwt_extended import JWTManager, utils, view_decorators

from server.accounts import tokens
from server.extensions import db, jwt
from tests.conftest import make_test_app


def _parameters(function: object) -> list[tuple[str, object]]:
    return [(p.name, p.default) for p in inspect.signature(function).parameters.values()]


def _calls_by_name(function: object, name: str) -> bool:
    """``function`` looks ``name`` up when it runs (a global or an attribute), so replacing the
    module's or the manager's attribute reaches it."""
    return name in function.__code__.co_names  # type: ignore[attr-defined]


def test_the_installed_flask_jwt_extended_is_a_pinned_version() -> None:
    assert version("flask-jwt-extended").startswith("4.7."), version("flask-jwt-extended")


def test_the_verified_decode_is_the_managers_method_that_decode_token_calls() -> None:
    assert _parameters(JWTManager._decode_jwt_from_config) == [
        ("self", inspect.Parameter.empty),
        ("encoded_token", inspect.Parameter.empty),
        ("csrf_value", None),
        ("allow_expired", False),
    ]
    assert _calls_by_name(utils.decode_token, "_decode_jwt_from_config")
    assert _calls_by_name(view_decorators._decode_jwt_from_request, "decode_token")


def test_the_header_read_after_verifying_is_a_global_of_view_decorators() -> None:
    assert _parameters(view_decorators.get_unverified_jwt_headers) == [
        ("encoded_token", inspect.Parameter.empty)
    ]
    assert _calls_by_name(view_decorators._decode_jwt_from_request, "get_unverified_jwt_headers")


def test_the_authorization_header_reader_is_a_global_of_view_decorators() -> None:
    assert _parameters(view_decorators._decode_jwt_from_headers) == []
    assert _calls_by_name(view_decorators._decode_jwt_from_request, "_decode_jwt_from_headers")


def test_an_app_runs_with_all_three_replaced() -> None:
    app = make_test_app("sqlite://")
    assert getattr(jwt._decode_jwt_from_config, "remembers_verified_tokens", False)
    assert view_decorators.get_unverified_jwt_headers is tokens._unverified_headers
    assert getattr(view_decorators._decode_jwt_from_headers, "bearer_in_any_case", False)
    with app.app_context():
        db.engine.dispose()
