"""HTTP routes of the flags domain."""

from flask_smorest import Blueprint

blp = Blueprint("flags", __name__, url_prefix="/api/v1")
