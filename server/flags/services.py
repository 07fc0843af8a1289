"""Flag engine use cases: red flags, queueing on ingest, evaluating due patients, open counts.

Ingest only marks the patient due (``server.flags.queue``); red flags are raised at once. Every
evaluation derives the patient's flag episodes from the daily series of a bounded window (the
affected days and the days after them up to now) and reconciles them with the stored flags.
Services flush, never commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from server.accounts.models import Patient
from server.clock import local_date_of, local_to_utc, utcnow
from server.events import RedFlagRaised, publish
from server.extensions import db
from server.flag_thresholds import Thresholds
from server.flags import inputs, queue
from server.flags.episodes import evaluate
from server.flags.models import ACTIVE_STATUSES, Flag, FlagEvaluationState
from server.flags.outcomes import outcome_episodes
from server.flags.queue import lock_patient
from server.flags.reconcile import SELF_ENDING, SUPERSEDED, audit_flag, new_flag, reconcile
from server.flags.rules import Context
from server.metrics import observe_flag_evaluation_lags
from server.programmes.models import Programme
from server.tracking.models import SymptomCheck

# Late records are accepted up to 60 days back; re-deriving never looks further than this.
MAX_WINDOW_DAYS = 70
# The longest fixed window is 21 days (morning pain, three weeks): 20 days before the first.
RULE_LOOKBACK_DAYS = 20


def rule_lookback_days(thresholds: Thresholds) -> int:
    """Days of history the rules read before the first day they judge: the longest fixed window,
    or a longer configured one (adherence, progression, silence), never beyond
    :data:`MAX_WINDOW_DAYS`."""
    configured = max(
        thresholds.adherence_window_days, thresholds.progression_days, thresholds.silence_days
    )
    return min(max(RULE_LOOKBACK_DAYS, configured - 1), MAX_WINDOW_DAYS)


def raise_red_flag(*, check: SymptomCheck, now: datetime | None = None) -> Flag:
    """Open (or add to) the patient's urgent red flag for a check with positive answers, and
    alert the therapist at once (:class:`server.events.RedFlagRaised`: reminders' outbox).

    A new danger sign on an acknowledged red flag opens it again (keeping who acknowledged the
    earlier signs, and when): the therapist's review was of the earlier signs, and the patient
    is told their physiotherapist has been alerted.
    """
    now = now or utcnow()
    positive = sorted(key for key, value in (check.answers or {}).items() if value is True)
    if not positive:
        raise ValueError("a red flag needs at least one positive answer")
    lock_patient(check.patient_id, check.clinic_id)
    flag = db.session.scalar(
        sa.select(Flag).where(
            Flag.patient_id == check.patient_id,
            Flag.type == "red_flag",
            Flag.status.in_(ACTIVE_STATUSES),
        )
    )
    if flag is None:
        flag = new_flag(
            patient_id=check.patient_id,
            clinic_id=check.clinic_id,
            flag_type="red_flag",
            start=check.local_date,
            now=now,
        )
    key = f"red_flag.symptom_check:{check.id}"
    if any(entry["key"] == key for entry in flag.evidence):
        return flag
    entry = {
        "key": key,
        "rule": "red_flag.symptom_check",
        "day": check.local_date.isoformat(),
        "values": {"check_id": str(check.id), "positive_answers": positive},
        "thresholds": {},
        "baseline": None,
    }
    flag.evidence = sorted([*flag.evidence, entry], key=lambda e: (e["day"], e["key"]))
    flag.episode_start = min(flag.episode_start, check.local_date)
    flag.last_evidence_on = max(flag.last_evidence_on, check.local_date)
    flag.suggested_action = "refer_emergency"
    flag.updated_at = now
    if flag.status == "acknowledged":  # who acknowledged it, and when, stay on the flag
        flag.status = "open"
        audit_flag(flag, "flag.reopened", now)
    elif len(flag.evidence) > 1:
        audit_flag(flag, "flag.updated", now)
    db.session.flush()
    publish(RedFlagRaised(flag_id=flag.id, cause_id=check.id, now=now))
    return flag


def queue_evaluation(
    *, patient_id: uuid.UUID, clinic_id: uuid.UUID, days: set[date], now: datetime | None = None
) -> None:
    """Queue the patient's flags for re-derivation from the earliest affected local date: one
    upsert in the caller's transaction (an ingest, a new programme revision); the scheduler's
    tick evaluates within seconds (:func:`evaluate_due`).
    """
    if days:
        queue.mark_due(patient_id=patient_id, clinic_id=clinic_id, days=days, now=now or utcnow())


def queue_clinic_evaluation(*, clinic_id: uuid.UUID, now: datetime | None = None) -> int:
    """Queue every patient of the clinic the flag engine knows (those with an evaluation state)
    for re-derivation from their local today, after the clinic's thresholds changed; returns
    how many. The tick evaluates them in batches, as for ingest."""
    now = now or utcnow()
    rows = db.session.execute(
        sa.select(FlagEvaluationState.patient_id, Patient.timezone)
        .join(Patient, Patient.id == FlagEvaluationState.patient_id)
        .where(FlagEvaluationState.clinic_id == clinic_id)
    ).all()
    marks = [(pid, clinic_id, local_date_of(now, ZoneInfo(tz))) for pid, tz in rows]
    return queue.mark_many_due(marks, now)


def _recent_flags(patient_id: uuid.UUID, today: date) -> list[Flag]:
    """Active flags and those with evidence in the last ``MAX_WINDOW_DAYS`` (red flags aside)."""
    horizon = today - timedelta(days=MAX_WINDOW_DAYS + 7)
    return list(
        db.session.scalars(
            sa.select(Flag).where(
                Flag.patient_id == patient_id,
                Flag.type != "red_flag",
                sa.or_(Flag.status.in_(ACTIVE_STATUSES), Flag.last_evidence_on >= horizon),
            )
        )
    )


def window_start(
    days: Iterable[date],
    flags: Iterable[Flag],
    today: date,
    programme_start: date | None,
    thresholds: Thresholds,
) -> date:
    """The first day to re-derive: a flare's reach before the earliest affected day, extended
    back to the start of any self-ending flag still running then, within ``MAX_WINDOW_DAYS``.
    """
    first = min(days, default=today) - timedelta(days=thresholds.settle_window_days + 1)
    running = [f for f in flags if f.type in SELF_ENDING and f.auto_resolution_reason != SUPERSEDED]
    moved = True
    while moved:
        moved = False
        for flag in running:
            # Still running (also when a therapist resolved it mid-episode) or ending in range.
            still_on = flag.episode_end is None or flag.episode_end >= first
            if flag.episode_start < first and still_on:
                first, moved = flag.episode_start, True
    first = max(first, today - timedelta(days=MAX_WINDOW_DAYS))
    if programme_start is not None:
        first = max(first, programme_start)
    return min(first, today)


def evaluate_patient(
    *,
    patient: Patient,
    days: Iterable[date] = (),
    now: datetime,
    state: FlagEvaluationState | None = None,
) -> None:
    """Evaluate every rule for ``patient`` over the window the ``days`` (and any days queued by
    ingest) affect, as of ``now``.
    """
    tz = ZoneInfo(patient.timezone)
    today = local_date_of(now, tz)
    state = state or lock_patient(patient.id, patient.clinic_id)
    if state.pending_from is not None:
        days = {*days, state.pending_from}
    programme, upcoming = inputs.programme_in_force(patient, today)
    facts = inputs.programme_facts(programme, tz) if programme else None
    resolved = inputs.thresholds_for(patient, facts)
    thresholds = resolved.values
    flags = _recent_flags(patient.id, today)
    start = facts.start_date if facts else None
    # Days since the last evaluation were never judged as complete days (a new patient, or
    # downtime): re-derive them too.
    last = local_date_of(state.evaluated_at, tz) if state.evaluated_at else (start or today)
    first = window_start({*days, last}, flags, today, start, thresholds)
    ctx = Context(
        today=today,
        thresholds=thresholds,
        threshold_sources=resolved.sources,
        baseline=inputs.baseline_for(patient.id, facts, thresholds),
        programme_start=start,
        programme_end=programme.end_date if programme else None,
        intensity_increases=facts.intensity_increases if facts else (),
        intensity_changes=facts.intensity_changes if facts else (),
    )
    lookback = timedelta(days=rule_lookback_days(thresholds))
    series = inputs.load_series(patient, first - lookback, today, now)
    findings = evaluate(series, ctx, first)
    findings.episodes.extend(outcome_episodes(inputs.load_outcomes(patient.id), ctx, first))
    reconcile(
        patient_id=patient.id,
        clinic_id=patient.clinic_id,
        flags=flags,
        findings=findings,
        ctx=ctx,
        first=first,
        now=now,
    )
    state.evaluated_at = now
    state.pending_from = None
    state.next_sweep_at = _next_sweep_at(today, tz, programme, upcoming)
    db.session.flush()


def _next_sweep_at(
    today: date, tz: ZoneInfo, programme: Programme | None, upcoming: Programme | None
) -> datetime | None:
    """The next local midnight (day-complete rules) while a programme runs; else its start."""
    if programme is not None:
        return local_to_utc(today + timedelta(days=1), time(0, 0), tz)
    if upcoming is not None:
        return local_to_utc(upcoming.start_date, time(0, 0), tz)
    return None


def evaluate_due(*, now: datetime | None = None, batch_size: int = 1) -> int:
    """Evaluate one batch of due patients (queued by ingest, or a day became complete); returns
    how many. Call until it returns 0, committing between batches: each batch holds its rows'
    locks until the commit, so small batches keep ingest of those patients from waiting.
    """
    now = now or utcnow()
    states = queue.claim_due(now, batch_size)
    if not states:
        return 0
    observe_flag_evaluation_lags(states, now)
    ids = [state.patient_id for state in states]
    patients = {p.id: p for p in db.session.scalars(sa.select(Patient).where(Patient.id.in_(ids)))}
    for state in states:
        evaluate_patient(patient=patients[state.patient_id], now=now, state=state)
    return len(states)


def evaluate_pending(*, patient: Patient, now: datetime) -> bool:
    """Evaluate one patient as of ``now`` if due (what the tick would do for them); True if so.

    For replays "as of" past instants (the demo history), where a tick would also evaluate
    other patients as of that past instant.
    """
    state = lock_patient(patient.id, patient.clinic_id)
    if state.next_sweep_at is None or state.next_sweep_at > now:
        return False
    evaluate_patient(patient=patient, now=now, state=state)
    return True


def sweep_flags(*, now: datetime | None = None, batch_size: int = 200) -> int:
    """Give every started programme an evaluation state (first sweep), then evaluate one batch
    of due patients; returns how many. Call until it returns 0, committing between batches.

    Due means ``next_sweep_at <= now`` (indexed): each evaluation sets it to the patient's next
    local midnight, when another day becomes complete; ingest sets it to its own instant.
    """
    now = now or utcnow()
    queue.ensure_sweep_states(now)
    return evaluate_due(now=now, batch_size=batch_size)
