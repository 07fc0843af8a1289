"""HTTP routes of the reminders domain."""

from flask_smorest import Blueprint

blp = Blueprint("reminders", __name__, url_prefix="/api/v1")
