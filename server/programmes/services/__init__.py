"""Programmes as immutable revisions: a programme's start and end (``lifecycle``) and every
revision after the first (``revisions``). Reads and their audit live in ``queries``.

Services flush, never commit (``allow`` commits once per request). Every write of a patient's
programme is audited here.
"""

from server.programmes.services.lifecycle import create_programme, end_programme
from server.programmes.services.revisions import change_intensity, revise_programme

__all__ = ["change_intensity", "create_programme", "end_programme", "revise_programme"]
