"""HTTP routes of the programmes domain."""

from flask_smorest import Blueprint

blp = Blueprint("programmes", __name__, url_prefix="/api/v1")
