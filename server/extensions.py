"""Flask extensions, created unbound and bound to an app in ``create_app``."""

from __future__ import annotations

from flask import Flask
from flask_cors import CORS
from flask_jwt_extended import JWTManager
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from server.db import Base
from server.openapi import API_DESCRIPTION, ContractPlugin, HepApi

# Models subclass server.db.Base; the extension only needs its metadata and the session.
db = SQLAlchemy(metadata=Base.metadata)
migrate = Migrate()
api = HepApi(
    spec_kwargs={"extra_plugins": [ContractPlugin()], "info": {"description": API_DESCRIPTION}}
)
jwt = JWTManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
cors = CORS()


def init_limiter(app: Flask) -> None:
    """Bind the limiter, without its check before every request when no limit needs it.

    Every limit here decorates a view or method, which checks its own limit when called. The
    check the extension runs before each request serves only application, default and
    blueprint limits, which this service has none of, and cost every request about 5 % of
    its time.
    """
    limiter.init_app(app)
    manager = limiter.limit_manager
    unneeded = not (
        manager.application_limits or manager.default_limits or manager._blueprint_limits
    )
    hooks = app.before_request_funcs.get(None, [])
    if unneeded and limiter._check_request_limit in hooks:  # absent when limits are off
        hooks.remove(limiter._check_request_limit)
