"""Per-patient state the services make one patient at a time, made for thousands at once."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa


def insert_streams(patient_ids: list[uuid.UUID], now: datetime) -> None:
    """Every patient's reminder streams as ``refresh_reminder_streams`` makes them, in bulk:
    the same pure rules over one batched context load instead of a round of queries each."""
    from server.extensions import db
    from server.reminders.contexts import load_reminder_infos
    from server.reminders.dispatch import lookback_date
    from server.reminders.models import ReminderStream
    from server.reminders.rules import KINDS, next_occurrence, refresh_after

    infos = load_reminder_infos(patient_ids, since=lookback_date(now))
    rows = []
    for pid in patient_ids:
        info = infos[pid]
        for kind in KINDS:
            upcoming = next_occurrence(kind, info.ctx, refresh_after(None, kind, now))
            rows.append(
                {
                    "clinic_id": info.clinic_id,
                    "patient_id": pid,
                    "kind": kind,
                    "next_due_at": upcoming.at if upcoming else None,
                    "updated_at": now,
                }
            )
    db.session.execute(sa.insert(ReminderStream), rows)


def mint_access_tokens(
    clinic_id: uuid.UUID, patient_ids: list[uuid.UUID], now: datetime
) -> list[str]:
    """One login session (token family) per patient, in bulk, and its access token."""
    from flask_jwt_extended import create_access_token

    from server.accounts.models import TokenFamily
    from server.extensions import db

    families = [uuid.uuid4() for _ in patient_ids]
    db.session.execute(
        sa.insert(TokenFamily),
        [
            {"id": fam, "user_id": pid, "created_at": now}
            for fam, pid in zip(families, patient_ids, strict=True)
        ],
    )
    claims = {"role": "patient", "clinic_id": str(clinic_id)}
    return [
        create_access_token(identity=str(pid), additional_claims={**claims, "fam": str(fam)})
        for fam, pid in zip(families, patient_ids, strict=True)
    ]
