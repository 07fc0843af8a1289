"""Reads behind the progress report: one patient's course over a date range, gathered through
the domains' own reads and audited once for the patient."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from server.access import Actor, get_scoped, scoped
from server.accounts.models import Clinic, Patient, User
from server.adherence import rules as adherence_rules
from server.adherence.pain import flag_baseline
from server.adherence.series import daily_pain_series
from server.adherence.services import adherence_by_patient, check_range
from server.audit import services as audit
from server.clock import local_date_of, utcnow
from server.extensions import db
from server.flags.models import Flag
from server.measures.models import Measure, MeasureResponse
from server.measures.queries import series_of
from server.programmes.library import ExerciseLookup, localized
from server.programmes.models import Programme, ProgrammeRevision
from server.programmes.queries import programme_on, revision_in_force
from server.reports import rules

MAX_LISTED = 8  # changes, measures and flags listed, newest first: the report fits two pages
MAX_EXERCISES = 16


def _range(
    patient: Patient, start: date | None, end: date | None, today: date
) -> tuple[date, date]:
    if start is None or end is None:
        programme = programme_on(patient.id, end or today) or programme_on(patient.id, today)
        span = rules.default_range(
            end or today,
            programme.start_date if programme else None,
            programme.end_date if programme else None,
        )
        start, end = start or span[0], end or span[1]
    check_range(start, end)
    return start, end


def _exercises(revision: ProgrammeRevision, clinic_id: uuid.UUID, language: str) -> list[str]:
    lookup = ExerciseLookup(clinic_id, ids=[i["exercise_id"] for i in revision.items])
    lines = []
    for item in revision.items:
        exercise = lookup.find(exercise_id=item["exercise_id"])
        name = localized(exercise.name, language) if exercise else item["exercise_slug"]
        dosage = item.get("dosage") or {}
        dose = " × ".join(str(dosage[k]) for k in ("sets", "reps") if dosage.get(k))
        lines.append(f"{name}, L{item['level']}" + (f", {dose}" if dose else ""))
    return lines[:MAX_EXERCISES] + (["…"] if len(lines) > MAX_EXERCISES else [])


def _changes(
    actor: Actor, programme: Programme, tz: ZoneInfo, start: date, end: date
) -> list[rules.Change]:
    revisions = db.session.scalars(
        scoped(ProgrammeRevision, actor)
        .where(ProgrammeRevision.programme_id == programme.id)
        .order_by(ProgrammeRevision.number)
    ).all()
    changes = [
        rules.Change(local_date_of(r.effective_at, tz), r.number, r.kind, r.reason)
        for r in revisions
    ]
    shown = [c for c in changes if start <= c.day <= end]
    return shown[-MAX_LISTED:]


def _measures(patient_id: uuid.UUID, end: date, language: str) -> list[rules.MeasureLine]:
    answered = sa.exists().where(
        MeasureResponse.patient_id == patient_id, MeasureResponse.measure_code == Measure.code
    )
    measures = db.session.scalars(sa.select(Measure).where(answered).order_by(Measure.code)).all()
    lines = []
    for series in series_of(patient_id, measures):
        responses = [r for r in series["responses"] if r["local_date"] <= end]
        if not responses:
            continue
        latest = responses[-1]
        lines.append(
            rules.MeasureLine(
                localized(series["name"], language),
                latest["baseline_score"],
                latest["score"],
                latest["local_date"],
                latest["change"],
                latest["interpretation"],
                series["mcid"]["value"],
                len(responses),
            )
        )
    return lines[:MAX_LISTED]


def _flags(actor: Actor, patient_id: uuid.UUID, tz: ZoneInfo, start: date, end: date):
    flags = db.session.scalars(
        scoped(Flag, actor)
        .where(Flag.patient_id == patient_id, Flag.episode_start <= end)
        .where(sa.or_(Flag.episode_end.is_(None), Flag.episode_end >= start))
        .order_by(Flag.opened_at.desc())
        .limit(MAX_LISTED)
    ).all()
    return [
        rules.FlagLine(
            f.type,
            f.severity,
            local_date_of(f.opened_at, tz),
            f.status,
            f.resolution_action,
            local_date_of(f.resolved_at, tz) if f.resolved_at else None,
        )
        for f in flags
    ]


def _adherence(patient: Patient, start: date, end: date, now: datetime) -> rules.Adherence:
    days = adherence_by_patient([patient], {patient.id: (start, end)}, now)[patient.id]
    totals = adherence_rules.totals_of(days)
    return rules.Adherence(
        totals.sessions_prescribed,
        totals.completed,
        totals.partial,
        totals.skipped,
        totals.missing,
        totals.ratio,
        totals.posture_breaks_prescribed,
        totals.posture_breaks_logged,
    )


def report_content(
    *,
    actor: Actor,
    patient_id: uuid.UUID,
    start: date | None = None,
    end: date | None = None,
    language: str | None = None,
    now: datetime | None = None,
) -> rules.ReportContent:
    """What the patient's progress report shows over ``[start, end]`` (audited read)."""
    now = now or utcnow()
    patient = get_scoped(Patient, patient_id, actor)
    clinic = db.session.get_one(Clinic, patient.clinic_id)
    language = rules.report_language(language, clinic.language)
    tz = ZoneInfo(patient.timezone)
    today = local_date_of(now, tz)
    start, end = _range(patient, start, end, today)
    programme = programme_on(patient.id, end) or programme_on(patient.id, start)
    revision = revision_in_force(programme, end, tz) if programme else None
    therapist = db.session.get(User, patient.therapist_id) if patient.therapist_id else None
    pain = [
        rules.PainDay(d.day, d.max_pain, d.mean_pain)
        for d in daily_pain_series(patient.id, start, end)
    ]
    content = rules.ReportContent(
        language=language,
        clinic_name=clinic.name,
        patient_name=patient.name,
        therapist_name=therapist.name if therapist else None,
        start=start,
        end=end,
        generated_on=today,
        programme_start=programme.start_date if programme else None,
        programme_end=programme.end_date if programme else None,
        exercises=_exercises(revision, patient.clinic_id, language) if revision else [],
        schedule=rules.schedule_text(revision.schedule, language) if revision else "",
        changes=_changes(actor, programme, tz, start, end) if programme else [],
        adherence=_adherence(patient, start, end, now),
        pain=pain,
        baseline=flag_baseline(patient, now).value,
        measures=_measures(patient.id, end, language),
        flags=_flags(actor, patient.id, tz, start, end),
    )
    audit.read("report.read", actor=actor, patient_id=patient.id, target="patient", now=now)
    return content
