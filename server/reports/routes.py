"""placeholder"""

from server.routing import Blueprint

blp = Blueprint("reports", __name__, url_prefix="/api/v1", description="Progress reports")
