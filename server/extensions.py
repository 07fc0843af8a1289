"""Flask extensions, created unbound and bound to an app in ``create_app``."""

from __future__ import annotations

import http
from typing import Any

from apispec import BasePlugin
from flask_cors import CORS
from flask_jwt_extended import JWTManager
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from flask_sqlalchemy import SQLAlchemy

from server.db import Base
from server.errors import PROBLEM_MIME, ProblemSchema


class ProblemResponsesPlugin(BasePlugin):
    """Document every 4xx/5xx response an operation declares inline as problem+json."""

    def operation_helper(self, path: Any = None, operations: Any = None, **kwargs: Any) -> None:
        for operation in (operations or {}).values():
            for status, response in operation.get("responses", {}).items():
                is_error = str(status).isdigit() and int(status) >= 400
                if is_error and isinstance(response, dict) and "content" not in response:
                    response["content"] = {PROBLEM_MIME: {"schema": "Problem"}}


class HepApi(Api):
    """smorest Api whose documented error shape is RFC 9457 ``application/problem+json``."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(
                response, self.spec, PROBLEM_MIME if status >= 400 else "application/json"
            )
            self.spec.components.response(status.name, response, lazy=True)
        default = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(default, self.spec, PROBLEM_MIME)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, default, lazy=True)


# Models subclass server.db.Base; the extension only needs its metadata and the session.
db = SQLAlchemy(metadata=Base.metadata)
migrate = Migrate()
api = HepApi(spec_kwargs={"extra_plugins": [ProblemResponsesPlugin()]})
jwt = JWTManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
cors = CORS()
