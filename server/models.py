"""Imports every domain's tables so the metadata (and Alembic) sees the whole schema."""

from server.accounts.models import (
    Clinic,
    Consent,
    ConsentText,
    Invitation,
    Patient,
    RefreshToken,
    TokenFamily,
    User,
)
from server.audit.models import AuditEvent, AuditPage
from server.calendar.models import CalendarFeed
from server.erasure.models import Erasure, ErasureRequest
from server.flags import models as flag_models
from server.measures.models import Measure, MeasureResponse, MeasureSchedule
from server.programmes.models import Exercise, Programme, ProgrammeRevision, ProgrammeTemplate
from server.reminders import models as reminder_models
from server.tracking.models import (
    HeadacheEntry,
    PainDay,
    PainRating,
    PatientActivity,
    PostureBreak,
    SessionDay,
    SessionLog,
    SymptomCheck,
)

__all__ = [
    "AuditEvent",
    "AuditPage",
    "CalendarFeed",
    "Clinic",
    "Consent",
    "ConsentText",
    "Erasure",
    "ErasureRequest",
    "Exercise",
    "HeadacheEntry",
    "Invitation",
    "Measure",
    "MeasureResponse",
    "MeasureSchedule",
    "PainDay",
    "PainRating",
    "Patient",
    "PatientActivity",
    "PostureBreak",
    "Programme",
    "ProgrammeRevision",
    "ProgrammeTemplate",
    "RefreshToken",
    "SessionDay",
    "SessionLog",
    "SymptomCheck",
    "TokenFamily",
    "User",
    "flag_models",
    "reminder_models",
]
