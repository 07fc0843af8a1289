"""HTTP routes of the audit domain."""

from flask_smorest import Blueprint

blp = Blueprint("audit", __name__, url_prefix="/api/v1")
