"""The therapist's review queue: list, read, acknowledge and resolve flags (audited)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from server.access import Actor, get_scoped, scoped
from server.accounts.models import Patient, User
from server.audit import services as audit
from server.clock import utcnow
from server.errors import Conflict
from server.extensions import db
from server.flags.messages import suggested_action_text
from server.flags.models import ACTIVE_STATUSES, SEVERITY_RANK, Flag
from server.flags.reconcile import audit_flag
from server.flags.services import lock_patient
from server.pagination import paginate


def reader_language(actor: Actor) -> str:
    """The acting therapist's language (``tr`` or ``en``)."""
    user = db.session.get(User, actor.user_id)
    return user.language if user is not None else "en"


def patient_name(flag: Flag) -> str:
    """The name of the flag's patient (one flag; lists join it instead)."""
    return db.session.scalar(sa.select(User.name).where(User.id == flag.patient_id)) or ""


def present(flag: Flag, language: str, name: str, *, with_evidence: bool = False) -> dict[str, Any]:
    """A flag as the API shows it, with its patient's ``name`` and its suggested action in
    ``language``."""
    view = {
        column.key: getattr(flag, column.key)
        for column in Flag.__table__.columns
        if column.key not in ("evidence", "suggested_action", "severity_rank", "clinic_id")
    }
    live = [entry for entry in flag.evidence if not entry.get("withdrawn")]
    view["suggested_action"] = {
        "code": flag.suggested_action,
        "text": suggested_action_text(flag.suggested_action, language),
    }
    view["patient_name"] = name
    view["rules"] = sorted({entry["rule"] for entry in live})
    view["evidence_count"] = len(live)
    if with_evidence:
        view["evidence"] = flag.evidence
    return view


def list_flags(
    *,
    actor: Actor,
    limit: int,
    cursor: str | None = None,
    status: list[str] | None = None,
    severity: list[str] | None = None,
    patient_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """The clinic's flags (open and acknowledged by default), most severe first, then oldest,
    each with its patient's name (joined: no query per row)."""
    stmt = (
        scoped(Flag, actor)
        .join(User, User.id == Flag.patient_id)
        .add_columns(User.name)
        .where(Flag.status.in_(status or ACTIVE_STATUSES))
    )
    if severity:
        stmt = stmt.where(Flag.severity_rank.in_([SEVERITY_RANK[s] for s in severity]))
    if patient_id is not None:
        stmt = stmt.where(Flag.patient_id == patient_id)
    rows, next_cursor = paginate(
        stmt,
        keys=[(Flag.severity_rank, False), (Flag.opened_at, False), (Flag.id, False)],
        key_of=lambda row: (row.Flag.severity_rank, row.Flag.opened_at, row.Flag.id),
        limit=limit,
        cursor=cursor,
        scalars=False,
    )
    shown = list(dict.fromkeys(row.Flag.patient_id for row in rows))
    if patient_id is not None and not rows:
        # Audit only a patient the actor may see (an unknown id must not fail the audit's FK).
        visible = scoped(Patient, actor).where(Patient.id == patient_id)
        shown = [p for p in [db.session.scalar(visible.with_only_columns(Patient.id))] if p]
    _audit_queue_read(actor, shown, now or utcnow())
    language = reader_language(actor)
    return [present(row.Flag, language, row.name) for row in rows], next_cursor


def _audit_queue_read(actor: Actor, patient_ids: list[uuid.UUID], now: datetime) -> None:
    """One ``flag.list`` row per patient whose flags the page showed, in one statement, so
    ``GET /audit?patient_id=`` names everyone who read that patient's flags; a page that
    showed nobody still leaves one row without a patient."""
    shown = patient_ids or [None]
    audit.read("flag.list", actor=actor, patient_ids=shown, target=("flag", None), now=now)


def get_flag(*, actor: Actor, flag_id: uuid.UUID, now: datetime | None = None) -> dict[str, Any]:
    """One flag with its evidence (audited read)."""
    flag = get_scoped(Flag, flag_id, actor)
    view = present(flag, reader_language(actor), patient_name(flag), with_evidence=True)
    target = ("flag", flag.id)
    audit.read("flag.read", actor=actor, patient_id=flag.patient_id, target=target, now=now)
    return view


def patient_flags(
    *,
    actor: Actor,
    patient_id: uuid.UUID,
    limit: int,
    cursor: str | None,
    now: datetime | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """A patient's flag history, every status, newest first (audited read)."""
    patient = get_scoped(Patient, patient_id, actor)
    flags, next_cursor = paginate(
        scoped(Flag, actor).where(Flag.patient_id == patient.id),
        keys=[(Flag.opened_at, True), (Flag.id, True)],
        key_of=lambda f: (f.opened_at, f.id),
        limit=limit,
        cursor=cursor,
    )
    language = reader_language(actor)
    views = [present(f, language, patient.user.name) for f in flags]
    audit.read("flag.history_read", actor=actor, patient_id=patient.id, target="patient", now=now)
    return views, next_cursor


def _locked_flag(actor: Actor, flag_id: uuid.UUID) -> Flag:
    """Load a visible flag, take its patient's flag lock, and re-read it under the lock."""
    flag = get_scoped(Flag, flag_id, actor)
    lock_patient(flag.patient_id, flag.clinic_id)
    db.session.refresh(flag)
    return flag


def acknowledge_flag(
    *, actor: Actor, flag_id: uuid.UUID, now: datetime | None = None
) -> dict[str, Any]:
    """open → acknowledged by this therapist; 409 from any other status."""
    now = now or utcnow()
    flag = _locked_flag(actor, flag_id)
    if flag.status != "open":
        raise Conflict(
            f"Only an open flag can be acknowledged; it is {flag.status}.", flag_status=flag.status
        )
    flag.status = "acknowledged"
    flag.acknowledged_by, flag.acknowledged_at, flag.updated_at = actor.user_id, now, now
    audit_flag(flag, "flag.acknowledged", now, actor)
    db.session.flush()
    return present(flag, reader_language(actor), patient_name(flag), with_evidence=True)


def resolve_flag(
    *,
    actor: Actor,
    flag_id: uuid.UUID,
    note: str,
    action: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    """open/acknowledged → resolved with a note and the action taken; 409 once it is closed."""
    now = now or utcnow()
    flag = _locked_flag(actor, flag_id)
    if flag.status not in ACTIVE_STATUSES:
        raise Conflict(f"The flag is already {flag.status}.", flag_status=flag.status)
    flag.status = "resolved"
    flag.resolved_by, flag.resolved_at, flag.updated_at = actor.user_id, now, now
    flag.resolution_note, flag.resolution_action = note, action
    audit_flag(flag, "flag.resolved", now, actor)
    db.session.flush()
    return present(flag, reader_language(actor), patient_name(flag), with_evidence=True)
