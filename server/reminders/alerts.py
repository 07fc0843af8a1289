"""What goes into the outbox besides reminder pushes: therapists' alerts (an urgent flag at
once, the 08:00 digest of open flags) and notices to patients (a password reset by code).

Staff alerts go to the patient's therapist, or to the clinic's active admins when the patient has
none or theirs has been deactivated. Every row has a ``dedupe_key``, so enqueueing is idempotent.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from server.accounts.models import Clinic, Patient, User
from server.clock import utcnow
from server.extensions import db
from server.flags.models import Flag
from server.reminders.batches import insert_ignoring_duplicates
from server.reminders.contexts import zone
from server.reminders.messages import (
    consent_withdrawn_text,
    digest_text,
    password_reset_text,
    urgent_flag_text,
)
from server.reminders.models import Delivery
from server.reminders.rules import digest_local_date

OPEN_FLAG_STATUSES = ("open", "acknowledged")


def _enqueue(rows: list[dict[str, Any]]) -> int:
    """Add outbox rows, skipping those whose ``dedupe_key`` is taken; returns how many were new."""
    return len(insert_ignoring_duplicates(Delivery, rows, ("dedupe_key",)))


def _outbox_row(
    *,
    key: str,
    clinic_id: uuid.UUID,
    recipient: User,
    kind: str,
    payload: dict[str, Any],
    now,
    channel: str = "staff",
) -> dict[str, Any]:
    """An outbox row that is not a reminder record's push: a staff alert, or a patient notice."""
    return {
        "id": uuid.uuid4(),
        "dedupe_key": key,
        "clinic_id": clinic_id,
        "recipient_id": recipient.id,
        "notification_id": None,
        "channel": channel,
        "kind": kind,
        "payload": payload,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def _alert_recipients(patient: Patient) -> list[User]:
    """The patient's therapist, or the clinic's admins when none is assigned or theirs left."""
    if patient.therapist_id is not None:
        therapist = db.session.get(User, patient.therapist_id)
        if therapist is not None and therapist.is_active:
            return [therapist]
    return _active_admins(patient.clinic_id)


def _active_admins(clinic_id: uuid.UUID) -> list[User]:
    """The clinic's active admins: who hears of a patient without an active therapist."""
    return list(
        db.session.scalars(
            sa.select(User).where(
                User.clinic_id == clinic_id,
                User.role == "clinic_admin",
                User.is_active.is_(True),
            )
        )
    )


def enqueue_urgent_flag_alert(
    *, flag: Any, cause_id: uuid.UUID, now: datetime | None = None
) -> int:
    """Alert the patient's therapist about an urgent flag at once (next dispatch tick sends it).

    One alert per red flag and recipient within ``URGENT_ALERT_WINDOW_MINUTES``: a later
    danger sign in that window adds to the alert's ``count`` instead of sending another push
    (one sync of 50 positive checks is one alert saying 50). After the window, or once the
    flag was acknowledged after that alert, a new danger sign alerts again. The flag itself
    keeps every check as evidence. Returns the number of alerts enqueued. Flushes only.
    """
    now = now or utcnow()
    patient = db.session.get(Patient, flag.patient_id)
    if patient is None:
        return 0
    recipients = _alert_recipients(patient)
    earlier = _recent_urgent_alerts(flag, recipients, now)
    alone = []
    for recipient in recipients:
        alert = earlier.get(recipient.id)
        if alert is None:
            alone.append(recipient)
        elif not alert.dedupe_key.startswith(f"urgent_flag:{cause_id}:"):  # not a replay
            alert.payload = {**alert.payload, "count": int(alert.payload.get("count", 1)) + 1}
    about = {
        "type": "urgent_flag",
        "flag_id": str(flag.id),
        "patient_id": str(patient.id),
        "count": 1,
    }
    return _enqueue_urgent(patient, f"urgent_flag:{cause_id}", about, now, recipients=alone)


def _recent_urgent_alerts(flag: Any, recipients: list[User], now: datetime) -> dict[Any, Any]:
    """Each recipient's latest alert about ``flag`` queued within the window and not followed
    by an acknowledgement of the flag (locked: a concurrent tick must not lose a count)."""
    if not recipients:
        return {}
    window = timedelta(minutes=current_app.config.get("URGENT_ALERT_WINDOW_MINUTES", 15))
    since = now - window
    acknowledged = getattr(flag, "acknowledged_at", None)
    if acknowledged is not None:
        since = max(since, acknowledged)
    rows = db.session.scalars(
        sa.select(Delivery)
        .where(
            Delivery.kind == "urgent_flag",
            Delivery.recipient_id.in_([r.id for r in recipients]),
            Delivery.created_at >= since,
        )
        .order_by(Delivery.created_at)
        .with_for_update()
    )
    return {row.recipient_id: row for row in rows if row.payload.get("flag_id") == str(flag.id)}


def requeue_urgent_alert(*, dedupe_key: str, payload: Mapping[str, Any], now: datetime) -> int:
    """Queue an urgent alert again, for whoever the patient's alerts go to now (their new
    therapist, or the admins), when the one it was queued for has been deactivated. Under the
    keys a direct alert for the same cause has, so nobody gets it twice. Flushes only."""
    patient = db.session.get(Patient, uuid.UUID(str(payload.get("patient_id"))))
    if patient is None:
        return 0
    about = {k: v for k, v in payload.items() if k not in ("title", "body")}
    return _enqueue_urgent(patient, dedupe_key.rsplit(":", 1)[0], about, now)


def _enqueue_urgent(
    patient: Patient,
    cause_key: str,
    about: Mapping[str, Any],
    now: datetime,
    *,
    recipients: list[User] | None = None,
) -> int:
    """One urgent alert per recipient (default: the current ones), keyed
    ``<cause_key>:<recipient id>``."""
    rows = []
    for recipient in _alert_recipients(patient) if recipients is None else recipients:
        title, body = urgent_flag_text(recipient.language)
        rows.append(
            _outbox_row(
                key=f"{cause_key}:{recipient.id}",
                clinic_id=patient.clinic_id,
                recipient=recipient,
                kind="urgent_flag",
                payload={**about, "title": title, "body": body},
                now=now,
            )
        )
    return _enqueue(rows)


def enqueue_consent_withdrawn_alert(
    *, patient_id: uuid.UUID, consent_id: uuid.UUID, now: datetime
) -> int:
    """Tell the patient's therapist (or the admins) that the patient withdrew consent, on the
    channel of urgent alerts; one per withdrawn decision. Flushes only."""
    patient = db.session.get(Patient, patient_id)
    if patient is None:
        return 0
    rows = []
    for recipient in _alert_recipients(patient):
        title, body = consent_withdrawn_text(recipient.language)
        about = {"type": "consent_withdrawn", "patient_id": str(patient.id)}
        rows.append(
            _outbox_row(
                key=f"consent_withdrawn:{consent_id}:{recipient.id}",
                clinic_id=patient.clinic_id,
                recipient=recipient,
                kind="consent_withdrawn",
                payload={**about, "title": title, "body": body},
                now=now,
            )
        )
    return _enqueue(rows)


def enqueue_password_reset_notice(
    *, user: User, invitation_id: uuid.UUID, now: datetime | None = None
) -> int:
    """Tell a patient's phones that a clinic-issued code has just set their password again.

    A code doubles as a reset and the staff member who issues it sees it, so a reset the patient
    did not ask for must not be silent: the notice goes to every device the patient has
    registered when it is sent (their own phones among them). One per code (the outbox
    ``dedupe_key``). Flushes only.
    """
    title, body = password_reset_text(user.language)
    row = _outbox_row(
        key=f"password_reset:{invitation_id}",
        clinic_id=user.clinic_id,
        recipient=user,
        kind="password_reset",
        payload={"type": "password_reset", "title": title, "body": body},
        now=now or utcnow(),
        channel="push",
    )
    return _enqueue([row])


def _open_flag_counts(clinic_id: uuid.UUID) -> dict[uuid.UUID, tuple[User, Counter[str]]]:
    """Open (or acknowledged) flags by severity for each active recipient of one clinic: the
    patient's therapist, or the clinic's admins when the patient has none or theirs has left
    (as for urgent alerts)."""
    rows = db.session.execute(
        sa.select(Patient.therapist_id, Flag.severity, sa.func.count())
        .join(Patient, Patient.id == Flag.patient_id)
        .where(Flag.clinic_id == clinic_id, Flag.status.in_(OPEN_FLAG_STATUSES))
        .group_by(Patient.therapist_id, Flag.severity)
    ).all()
    if not rows:
        return {}
    staff = {
        user.id: user
        for user in db.session.scalars(
            sa.select(User).where(User.clinic_id == clinic_id, User.is_active.is_(True))
        )
        if user.role != "patient"
    }
    admins = [user for user in staff.values() if user.role == "clinic_admin"]
    counts: dict[uuid.UUID, tuple[User, Counter[str]]] = {}
    for therapist_id, severity, n in rows:
        for recipient in [staff[therapist_id]] if therapist_id in staff else admins:
            counts.setdefault(recipient.id, (recipient, Counter()))[1][severity] += n
    return counts


def enqueue_flag_digests(now: datetime | None = None) -> int:
    """Each clinic's daily digest of open flags, once its local digest time (08:00 unless the
    clinic set another) has passed that day.

    Idempotent: one digest per therapist per clinic-local date (the outbox ``dedupe_key``).
    """
    now = now or utcnow()
    rows = []
    clinics = db.session.execute(sa.select(Clinic.id, Clinic.timezone, Clinic.digest_time))
    for clinic_id, tz_name, digest_time in clinics:
        local_date = digest_local_date(now, zone(tz_name), digest_time)
        if local_date is None:
            continue
        for therapist, by_severity in _open_flag_counts(clinic_id).values():
            total = sum(by_severity.values())
            title, body = digest_text(
                therapist.language,
                total=total,
                urgent=by_severity["urgent"],
                high=by_severity["high"],
            )
            payload = {
                "type": "flag_digest",
                "local_date": local_date.isoformat(),
                "open_flags": total,
                "title": title,
                "body": body,
            }
            rows.append(
                _outbox_row(
                    key=f"digest:{therapist.id}:{local_date.isoformat()}",
                    clinic_id=clinic_id,
                    recipient=therapist,
                    kind="flag_digest",
                    payload=payload,
                    now=now,
                )
            )
    return _enqueue(rows)
