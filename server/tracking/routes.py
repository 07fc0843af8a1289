"""HTTP routes of the tracking domain."""

from flask_smorest import Blueprint

blp = Blueprint("tracking", __name__, url_prefix="/api/v1")
