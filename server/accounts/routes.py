"""HTTP routes of the accounts domain."""

from flask_smorest import Blueprint

blp = Blueprint("accounts", __name__, url_prefix="/api/v1")
