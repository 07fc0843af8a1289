"""HTTP routes of the adherence domain."""

from flask_smorest import Blueprint

blp = Blueprint("adherence", __name__, url_prefix="/api/v1")
