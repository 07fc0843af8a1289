"""Flag engine use cases: raise red flags, evaluate on ingest. Flush, never commit."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa

from server.audit.services import record_audit
from server.clock import utcnow
from server.extensions import db
from server.flags.models import ACTIVE_STATUSES, SEVERITY_OF, SEVERITY_RANK, Flag
from server.tracking.models import SymptomCheck


def raise_red_flag(*, check: SymptomCheck, now: datetime | None = None) -> Flag:
    """Open (or add to) the patient's urgent red flag for a symptom check with positive answers."""
    now = now or utcnow()
    positive = sorted(key for key, value in (check.answers or {}).items() if value is True)
    entry = {
        "key": f"red_flag.symptom_check:{check.id}",
        "rule": "red_flag.symptom_check",
        "day": check.local_date.isoformat(),
        "values": {"check_id": str(check.id), "positive_answers": positive},
        "thresholds": {},
        "baseline": None,
    }
    flag = db.session.scalar(
        sa.select(Flag).where(
            Flag.patient_id == check.patient_id,
            Flag.type == "red_flag",
            Flag.status.in_(ACTIVE_STATUSES),
        )
    )
    if flag is None:
        flag = Flag(
            clinic_id=check.clinic_id,
            patient_id=check.patient_id,
            type="red_flag",
            severity=SEVERITY_OF["red_flag"],
            severity_rank=SEVERITY_RANK["urgent"],
            status="open",
            opened_at=now,
            updated_at=now,
            episode_start=check.local_date,
            last_evidence_on=check.local_date,
            evidence=[entry],
            suggested_action="refer_emergency",
        )
        db.session.add(flag)
        db.session.flush()
        record_audit(
            actor=None,
            clinic_id=flag.clinic_id,
            action="flag.opened",
            patient_id=flag.patient_id,
            object_type="flag",
            object_id=flag.id,
            now=now,
        )
    elif all(e["key"] != entry["key"] for e in flag.evidence):
        flag.evidence = [*flag.evidence, entry]
        flag.episode_start = min(flag.episode_start, check.local_date)
        flag.last_evidence_on = max(flag.last_evidence_on, check.local_date)
        flag.updated_at = now
        db.session.flush()
    return flag


def evaluate_on_ingest(
    *, patient_id: uuid.UUID, clinic_id: uuid.UUID, days: set[date], now: datetime | None = None
) -> None:
    """Re-derive the patient's flags for the affected local dates up to now (flush only)."""
    # Filled in by the flag engine (rules + reconciliation); a no-op until then.
