"""Reads of the calendar feed: the feed a token opens, and the audited iCalendar document.

A calendar app sends no bearer token, so the feed's token is the credential: it resolves to the
patient it was made for, and everything the feed shows is loaded through ``access.scoped`` /
``access.get_scoped`` as that patient, so it can show nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from server.access import PATIENT, Actor, get_scoped, scoped
from server.accounts.models import Patient
from server.audit import services as audit
from server.calendar import rules
from server.calendar.models import CalendarFeed
from server.clock import local_date_of, utcnow
from server.errors import NotFound
from server.extensions import db
from server.measures.models import Measure, MeasureResponse, MeasureSchedule
from server.measures.queries import administrations_by
from server.programmes.models import Programme, ProgrammeRevision

PAST_DAYS = 90  # programmes that ended longer ago stay out of the feed
AHEAD_DAYS = 366  # how far ahead a running programme's periodic questionnaires are listed
NO_FEED = "No calendar feed at this address."


def token_digest(token: str) -> str:
    """The keyed digest stored instead of the token, so a database dump opens no feed."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()


def feed_opened_by(token: str) -> tuple[CalendarFeed, Actor]:
    """The live feed ``token`` opens and its patient as the actor; 404 for anything else
    (unknown, revoked, or the patient's account disabled), all alike."""
    feed = db.session.scalar(
        sa.select(CalendarFeed).where(
            CalendarFeed.token_digest == token_digest(token), CalendarFeed.revoked_at.is_(None)
        )
    )
    if feed is None:
        raise NotFound(NO_FEED)
    return feed, Actor(user_id=feed.patient_id, role=PATIENT, clinic_id=feed.clinic_id)


def _spans(
    actor: Actor, patient: Patient, tz: ZoneInfo, today: date
) -> tuple[list[rules.RevisionSpan], list[Programme]]:
    """Each revision's span of the programmes not ended more than ``PAST_DAYS`` ago."""
    since = today - timedelta(days=PAST_DAYS)
    programmes = db.session.scalars(
        scoped(Programme, actor).where(
            Programme.patient_id == patient.id,
            sa.or_(Programme.end_date.is_(None), Programme.end_date >= since),
        )
    ).all()
    revisions = db.session.scalars(
        scoped(ProgrammeRevision, actor).where(
            ProgrammeRevision.programme_id.in_([p.id for p in programmes])
        )
    ).all()
    spans = []
    for programme in programmes:
        own = [
            rules.RevisionInput(
                r.number,
                local_date_of(r.effective_at, tz),
                r.schedule,
                r.posture_breaks,
                len(r.items),
                r.created_at,
            )
            for r in revisions
            if r.programme_id == programme.id
        ]
        spans += rules.revision_spans(programme.id, programme.start_date, programme.end_date, own)
    return spans, list(programmes)


def _questionnaires(
    actor: Actor, programmes: list[Programme], tz: ZoneInfo, language: str, today: date
) -> list[rules.DueQuestionnaire]:
    """The administrations of the programmes' measures not answered yet (measures' own
    ``administrations_by``), up to a year ahead."""
    by_id = {p.id: p for p in programmes}
    schedules = db.session.scalars(
        scoped(MeasureSchedule, actor).where(MeasureSchedule.programme_id.in_(list(by_id)))
    ).all()
    if not schedules:
        return []
    names = {
        m.code: m.definition["name"]
        for m in db.session.scalars(
            sa.select(Measure).where(Measure.code.in_({s.measure_code for s in schedules}))
        )
    }
    answered = set(
        db.session.scalars(
            scoped(MeasureResponse, actor).with_only_columns(MeasureResponse.administration_id)
        )
    )
    found = []
    for schedule in schedules:
        name = names.get(schedule.measure_code, {})
        until = today + timedelta(days=AHEAD_DAYS)
        for administration in administrations_by(schedule, by_id[schedule.programme_id], tz, until):
            if administration.id in answered or administration.due > until:
                continue
            found.append(
                rules.DueQuestionnaire(
                    str(administration.id),
                    name.get(language) or name.get("en") or schedule.measure_code,
                    administration.due,
                    administration.closes,
                    schedule.created_at,
                )
            )
    return found


def feed_document(*, token: str, now: datetime | None = None) -> bytes:
    """The iCalendar document of the feed ``token`` opens (audited read for its patient)."""
    now = now or utcnow()
    feed, actor = feed_opened_by(token)
    patient = get_scoped(Patient, feed.patient_id, actor)
    if not patient.user.is_active:
        raise NotFound(NO_FEED)
    tz = ZoneInfo(patient.timezone)
    today = local_date_of(now, tz)
    spans, programmes = _spans(actor, patient, tz, today)
    questionnaires = _questionnaires(actor, programmes, tz, patient.language, today)
    hours = rules.WorkingHours(patient.work_start, patient.work_end, tuple(patient.work_days))
    document = rules.build_calendar(
        spans=spans,
        questionnaires=questionnaires,
        hours=hours,
        timezone=patient.timezone,
        language=patient.language,
    )
    target = ("calendar_feed", feed.id)
    audit.read("calendar_feed.read", actor=actor, patient_id=patient.id, target=target, now=now)
    return document
