"""Flask extensions, created unbound and bound to an app in ``create_app``."""

from __future__ import annotations

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
