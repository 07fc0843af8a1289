"""The clinic admins' queue of open erasure requests (an audited read: it names patients)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from server.access import Actor, patient_filter
from server.accounts.models import Patient, User
from server.audit import services as audit
from server.erasure.models import ErasureRequest
from server.pagination import paginate


def open_requests(
    *, actor: Actor, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """Open requests of the actor's clinic, oldest first, each with the patient's name."""
    statement = (
        sa.select(ErasureRequest, User.name)
        .join(Patient, Patient.id == ErasureRequest.patient_id)
        .join(User, User.id == Patient.id)
        .where(patient_filter(ErasureRequest, actor), ErasureRequest.closed_at.is_(None))
    )
    rows, next_cursor = paginate(
        statement,
        keys=[(ErasureRequest.requested_at, False), (ErasureRequest.id, False)],
        key_of=lambda row: (row[0].requested_at, row[0].id),
        limit=limit,
        cursor=cursor,
        scalars=False,
    )
    items = [
        {
            "id": request.id,
            "patient_id": request.patient_id,
            "patient_name": name,
            "requested_at": request.requested_at,
            "reason": request.reason,
            "closed_at": request.closed_at,
        }
        for request, name in rows
    ]
    audit.read(
        "erasure.request_list",
        actor=actor,
        patient_ids=[item["patient_id"] for item in items] or [None],
        target=("erasure_request", None),
    )
    return items, next_cursor
