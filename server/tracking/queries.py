"""Reading patient records back: a patient's own diary (``/me/...``) and a staff member's view
of one patient's records, each page one audited read of that patient.

Pages are keyset-paginated newest first by (local date, recorded_at, id, kind): one query for
the page's keys across the kinds asked for (a ``UNION ALL`` on the (patient, local date)
indexes), then one query per kind on the page for the stored bodies, exactly as created.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from server.access import Actor, get_scoped
from server.accounts.models import Patient
from server.audit import services as audit
from server.errors import Unprocessable
from server.extensions import db
from server.pagination import keyset_pages, paginate
from server.tracking import rules
from server.tracking.models import PostureBreak, SessionLog
from server.tracking.store import MODELS


def _keys_of(kinds: Sequence[str], patient_id: uuid.UUID, start: date | None, end: date | None):
    selects = []
    for kind in kinds:
        model = MODELS[kind]
        query = sa.select(
            sa.literal(kind, sa.String()).label("kind"),
            model.id.label("id"),
            model.local_date.label("local_date"),
            model.recorded_at.label("recorded_at"),
        ).where(model.patient_id == patient_id)
        if start is not None:
            query = query.where(model.local_date >= start)
        if end is not None:
            query = query.where(model.local_date <= end)
        selects.append(query)
    return sa.union_all(*selects).subquery("record_keys")


def _bodies(patient: Patient, keys: Sequence[Any]) -> list[dict[str, Any]]:
    """The stored column values of each keyed record, in the keys' order."""
    ids_by_kind: dict[str, list[uuid.UUID]] = {}
    for key in keys:
        ids_by_kind.setdefault(key.kind, []).append(key.id)
    found: dict[tuple[str, uuid.UUID], dict[str, Any]] = {}
    for kind, ids in ids_by_kind.items():
        table = MODELS[kind].__table__
        for row in db.session.execute(sa.select(table).where(table.c.id.in_(ids))).mappings():
            found[(kind, row["id"])] = dict(row)
    guidance: dict[bool, str] = {}
    for (kind, _), body in found.items():
        if kind == "symptom_check":
            urgent = body["urgent"]
            if urgent not in guidance:
                guidance[urgent] = rules.symptom_guidance(
                    urgent, patient.language, patient.user.clinic.emergency_number
                )
            body["guidance"] = guidance[urgent]
    return [{"kind": key.kind, "data": found[(key.kind, key.id)]} for key in keys]


def records_page(
    *,
    patient: Patient,
    kinds: Sequence[str],
    start: date | None,
    end: date | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the patient's records of ``kinds``, newest first: ``{kind, data}`` each.

    ``start``/``end`` bound the records' patient-local dates (inclusive). No access check and
    no audit: the callers below do both.
    """
    if start is not None and end is not None and start > end:
        raise Unprocessable("from must not be after to.", errors={"from": ["Must be ≤ to."]})
    keys = _keys_of(kinds, patient.id, start, end)
    page, next_cursor = paginate(
        sa.select(keys),
        keys=[
            (keys.c.local_date, True),
            (keys.c.recorded_at, True),
            (keys.c.id, True),
            (keys.c.kind, True),
        ],
        key_of=lambda row: (row.local_date, row.recorded_at, row.id, row.kind),
        limit=limit,
        cursor=cursor,
        scalars=False,
    )
    return _bodies(patient, page), next_cursor


def list_my_records(
    *,
    actor: Actor,
    kind: str,
    limit: int,
    cursor: str | None = None,
    start: date | None = None,
    end: date | None = None,
    now: datetime | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """The acting patient's own records of one ``kind``, newest first (audited read): the
    bodies exactly as the POST that created them answered."""
    patient = get_scoped(Patient, actor.user_id, actor)
    items, next_cursor = records_page(
        patient=patient, kinds=[kind], start=start, end=end, limit=limit, cursor=cursor
    )
    audit.read("records.read", actor=actor, patient_id=patient.id, target="patient", now=now)
    return [item["data"] for item in items], next_cursor


def list_patient_records(
    *,
    actor: Actor,
    patient_id: uuid.UUID,
    limit: int,
    cursor: str | None = None,
    kind: str | None = None,
    start: date | None = None,
    end: date | None = None,
    now: datetime | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """A patient's records, of one ``kind`` or all, newest first, each tagged with its kind
    (audited read of that patient)."""
    patient = get_scoped(Patient, patient_id, actor)
    kinds = [kind] if kind else list(rules.KINDS)
    items, next_cursor = records_page(
        patient=patient, kinds=kinds, start=start, end=end, limit=limit, cursor=cursor
    )
    audit.read("records.read", actor=actor, patient_id=patient.id, target="patient", now=now)
    return items, next_cursor


# When a slot was logged more than once, the best status counts (as adherence counts it).
STATUS_RANK = {"skipped": 1, "partial": 2, "completed": 3}


@functools.cache
def _day_log_statement() -> sa.CompoundSelect:
    """The day's session statuses and its posture-break count, in one round trip."""
    patient_id, day = sa.bindparam("patient_id"), sa.bindparam("day")
    sessions = sa.select(
        sa.literal("session").label("kind"), SessionLog.slot, SessionLog.status, sa.literal(1)
    ).where(SessionLog.patient_id == patient_id, SessionLog.local_date == day)
    breaks = sa.select(sa.literal("posture_break"), sa.null(), sa.null(), sa.func.count()).where(
        PostureBreak.patient_id == patient_id, PostureBreak.local_date == day
    )
    return sa.union_all(sessions, breaks)


def logged_on_day(
    patient_id: uuid.UUID, day: date, event: dict[str, Any]
) -> tuple[dict[str, str], int]:
    """(best status per session slot, posture breaks logged) on local ``day`` for an authorized
    patient, read with the request's ``plan.read`` ``event`` written (:func:`audit.read`): the
    plan's statuses (programmes, below tracking, reaches this through ``create_app``)."""
    best: dict[str, str] = {}
    breaks = 0
    params = {"patient_id": patient_id, "day": day}
    rows = audit.read("plan.read", statement=_day_log_statement(), params=params, **event)
    for kind, slot, status, n in rows:
        if kind == "posture_break":
            breaks = int(n)
        elif STATUS_RANK.get(status, 0) > STATUS_RANK.get(best.get(slot, ""), 0):
            best[slot] = status
    return best, breaks


RECORD_KINDS = tuple(MODELS)


def every_record(patient_id: uuid.UUID, kind: str) -> Iterator[Any]:
    """Every record of one kind the patient holds, oldest first, read a page at a time."""
    model = MODELS[kind]
    statement = sa.select(model).where(model.patient_id == patient_id)
    return keyset_pages(statement, keys=[model.recorded_at, model.id])
