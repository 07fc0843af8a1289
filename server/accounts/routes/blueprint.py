"""The accounts blueprint, shared by the route modules of each resource."""

from server.routing import Blueprint

blp = Blueprint(
    "accounts",
    __name__,
    url_prefix="/api/v1",
    description="Log in, tokens, patients, invitations, staff and the patient's own profile",
)
