"""HTTP routes of the accounts domain, one module per resource on one blueprint: ``auth``,
``patients`` (staff), ``staff``, ``me`` (the patient's own profile) and ``consents``.

Importing the modules registers their views on ``blp``, in this order (the spec's order).
"""

# Import order is registration order, and so the spec's order: keep it, not the sorted one.
from server.accounts.routes import auth, patients, staff, me, consents  # noqa: I001
from server.accounts.routes.blueprint import blp

RESOURCES = (auth, patients, staff, me, consents)  # each registered its views on blp when imported

__all__ = ["RESOURCES", "blp"]
