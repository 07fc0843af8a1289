"""Flask extensions, created unbound and bound to an app in ``create_app``."""

from flask_cors import CORS
from flask_jwt_extended import JWTManager
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy

from server.db import Base
from server.errors import ProblemSchema


class HepApi(Api):
    """smorest Api whose documented error shape is RFC 9457 problem+json."""

    ERROR_SCHEMA = ProblemSchema


# Models subclass server.db.Base; the extension only needs its metadata and the session.
db = SQLAlchemy(metadata=Base.metadata)
migrate = Migrate()
api = HepApi()
jwt = JWTManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
cors = CORS()
