"""Per-patient state the services make one patient at a time, made for thousands at once."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

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


def initial_programme(
    *,
    patient_id: uuid.UUID,
    clinic_id: uuid.UUID,
    therapist_id: uuid.UUID,
    start: date,
    start_utc: datetime,
    items: list[dict[str, Any]],
    schedule: dict[str, Any],
    posture_breaks: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A programme's row and its first revision's, as the API would store them, for bulk
    inserts (the bench's and the cluster's seeds)."""
    programme_id = uuid.uuid4()
    programme = {
        "id": programme_id,
        "clinic_id": clinic_id,
        "patient_id": patient_id,
        "start_date": start,
        "baseline_pain": 3.0,
        "created_by": therapist_id,
        "template_slug": None,
    }
    revision = {
        "programme_id": programme_id,
        "clinic_id": clinic_id,
        "patient_id": patient_id,
        "number": 1,
        "kind": "initial",
        "items": items,
        "schedule": schedule,
        "posture_breaks": posture_breaks,
        "author_id": therapist_id,
        "reason": "Initial programme",
        "effective_at": start_utc,
    }
    return programme, revision
