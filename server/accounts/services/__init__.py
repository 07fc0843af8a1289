"""Use cases of the accounts domain: clinics and staff (``staff``), patients and their
preferences (``patients``); one email per clinic is kept by ``unique_emails``.

Services flush, never commit: ``allow`` (or the CLI command) commits once at the edge.
"""

from server.accounts.services.patients import (
    create_patient,
    get_me,
    get_patient,
    list_patients,
    on_preferences_changed,
    update_patient,
    update_preferences,
)
from server.accounts.services.staff import (
    clinic_therapist,
    create_clinic,
    create_staff,
    list_staff,
    update_staff,
)

__all__ = [
    "clinic_therapist",
    "create_clinic",
    "create_patient",
    "create_staff",
    "get_me",
    "get_patient",
    "list_patients",
    "list_staff",
    "on_preferences_changed",
    "update_patient",
    "update_preferences",
    "update_staff",
]
