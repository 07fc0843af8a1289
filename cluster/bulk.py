"""Per-patient state the services make one patient at a time, made for thousands at once."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa


def insert_streams(patient_ids: list[uuid.UUID], now: datetime) -> None:
    """Every patient's reminder streams, as the dispatch tick's replans make them: one batched
    context load for thousands instead of a round of queries each."""
    from server.reminders.services import refresh_streams

    refresh_streams(dict.fromkeys(patient_ids, now))


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
