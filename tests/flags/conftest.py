"""Flag engine fixtures: write patient records straight through the ORM, then evaluate.

Day ``n`` is ``START + n`` in the patient's calendar (UTC unless a test says otherwise); a
record of day ``n`` is recorded at local noon. ``at(n, hour)`` is an instant on day ``n``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask

from server.accounts.models import Patient
from server.clock import local_to_utc
from server.extensions import db
from server.flags import services
from server.flags.jobs import run_pending_evaluations
from server.flags.models import SEVERITIES, ActiveFlagCount, Flag
from server.programmes.models import ProgrammeRevision
from server.tracking.models import HeadacheEntry, PainRating, PostureBreak, SessionLog, SymptomCheck

START = date(2026, 3, 2)


def active_counts(patient_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, dict[str, int]]:
    """The active flags by severity the database keeps for these patients, as the patient list
    reads them (every severity present, 0 without a row)."""
    ids = list(patient_ids)
    rows = db.session.execute(
        sa.select(ActiveFlagCount).where(ActiveFlagCount.patient_id.in_(ids))
    ).scalars()
    kept = {row.patient_id: {s: getattr(row, s) for s in SEVERITIES} for row in rows}
    return {i: kept.get(i, dict.fromkeys(SEVERITIES, 0)) for i in ids}


def day(n: int) -> date:
    return START + timedelta(days=n)


@dataclass(frozen=True)
class Rec:
    """A record to store: its kind, day and fields (plain data, so Hypothesis can shuffle it)."""

    kind: str
    n: int
    fields: tuple[tuple[str, Any], ...] = ()
    id: uuid.UUID | None = None


def pain(n: int, score: int, context: str = "now") -> Rec:
    return Rec("pain", n, (("score", score), ("context", context)), uuid.uuid4())


def session(n: int, slot: str = "morning", status: str = "completed", **fields: Any) -> Rec:
    values = {"slot": slot, "status": status, **fields}
    return Rec("session", n, tuple(sorted(values.items())), uuid.uuid4())


def headache(n: int, intensity: int) -> Rec:
    return Rec("headache", n, (("intensity", intensity),), uuid.uuid4())


def posture(n: int) -> Rec:
    return Rec("posture", n, (), uuid.uuid4())


def check(n: int, **answers: bool) -> Rec:
    return Rec("check", n, (("answers", answers),), uuid.uuid4())


def ndi(n: int, total: int) -> Rec:
    """An NDI response of day ``n`` totalling ``total`` (0–50), every item answered."""
    values = [min(5, max(0, total - 5 * i)) for i in range(10)]
    return Rec("measure", n, (("measure", "NDI"), ("values", tuple(values))), uuid.uuid4())


def _measure_response(common: dict[str, Any], fields: dict[str, Any]) -> Any:
    """A scored response, as the measures domain stores one (needs the measure library)."""
    from server.measures.models import Measure, MeasureResponse
    from server.measures.rules import score_response

    measure = db.session.scalar(sa.select(Measure).where(Measure.code == fields["measure"]))
    keys = [item["key"] for item in measure.definition["items"]]
    answers = [{"item": k, "value": v} for k, v in zip(keys, fields["values"], strict=True)]
    scored = score_response(measure.definition, answers)
    return MeasureResponse(
        **common,
        measure_code=measure.code,
        measure_version=measure.version,
        answers=scored.answers,
        score=scored.score,
        score_percent=scored.percent,
        band=scored.band,
        prorated=scored.prorated,
    )


def row_of(rec: Rec, patient_id: uuid.UUID, clinic_id: uuid.UUID, tz: ZoneInfo) -> Any:
    """The ORM row for ``rec``."""
    recorded = local_to_utc(day(rec.n), time(12, 0), tz)
    common = {
        # The same record stored for another patient (a twin scenario) gets its own id.
        "id": uuid.uuid5(rec.id, str(patient_id)) if rec.id else uuid.uuid4(),
        "clinic_id": clinic_id,
        "patient_id": patient_id,
        "recorded_at": recorded,
        "received_at": recorded,
        "local_date": day(rec.n),
        "body_digest": "0" * 64,
    }
    fields = dict(rec.fields)
    if rec.kind == "pain":
        return PainRating(**common, **fields)
    if rec.kind == "session":
        return SessionLog(**common, items=[], **fields)
    if rec.kind == "headache":
        return HeadacheEntry(
            **common,
            started_at=recorded,
            duration_minutes=60,
            side="left",
            triggers=[],
            medication_taken=False,
            **fields,
        )
    if rec.kind == "posture":
        return PostureBreak(**common)
    if rec.kind == "measure":
        return _measure_response(common, fields)
    return SymptomCheck(**common, urgent=any(fields["answers"].values()), **fields)


@dataclass
class Engine:
    """Store records for a patient and run the flag engine, each call in its own transaction."""

    app: Flask
    patient_id: uuid.UUID
    clinic_id: uuid.UUID
    timezone: str = "UTC"
    therapist_id: uuid.UUID | None = None

    def at(self, n: int, hour: int = 12, minute: int = 0) -> datetime:
        return local_to_utc(day(n), time(hour, minute), ZoneInfo(self.timezone))

    def ingest(self, records: Iterable[Rec], now: datetime) -> None:
        """Store ``records`` and queue them for evaluation, as the tracking domain does, then
        run the scheduler's pending-evaluation tick as of the same ``now``.
        """
        records = list(records)
        with self.app.app_context():
            tz = ZoneInfo(self.timezone)
            rows = [row_of(r, self.patient_id, self.clinic_id, tz) for r in records]
            db.session.add_all(rows)
            db.session.flush()
            for row in rows:
                if isinstance(row, SymptomCheck) and row.urgent:
                    services.raise_red_flag(check=row, now=now)
            days = {r.local_date for r in rows if not isinstance(r, SymptomCheck)}
            if days:
                services.queue_evaluation(
                    patient_id=self.patient_id, clinic_id=self.clinic_id, days=days, now=now
                )
            db.session.commit()
            run_pending_evaluations(now)

    def sweep(self, now: datetime) -> int:
        with self.app.app_context():
            swept = 0
            while batch := services.sweep_flags(now=now, batch_size=50):
                swept += batch
                db.session.commit()
            db.session.commit()
            return swept

    def tick(self, now: datetime) -> None:
        """What the sweep does for this patient when due, without sweeping everyone else."""
        with self.app.app_context():
            patient = db.session.get(Patient, self.patient_id)
            services.evaluate_patient(patient=patient, now=now)
            db.session.commit()

    def flags(self, flag_type: str | None = None) -> list[dict[str, Any]]:
        """The patient's flags as plain dicts, oldest first."""
        with self.app.app_context():
            stmt = sa.select(Flag).where(Flag.patient_id == self.patient_id)
            if flag_type:
                stmt = stmt.where(Flag.type == flag_type)
            found = db.session.scalars(stmt.order_by(Flag.opened_at, Flag.episode_start))
            return [{c.key: getattr(f, c.key) for c in Flag.__table__.columns} for f in found.all()]

    def one(self, flag_type: str) -> dict[str, Any]:
        (found,) = self.flags(flag_type)
        return found


def normalized(flags: list[dict[str, Any]]) -> set[tuple]:
    """The flags a therapist sees, independent of when and how the data arrived: flags withdrawn
    as superseded by later data and withdrawn evidence entries are left out.
    """
    return {
        (
            f["type"],
            f["status"],
            f["episode_start"],
            f["episode_end"],
            f["expected"],
            f["auto_resolution_reason"],
            f["suggested_action"],
            tuple(
                (e["key"], json.dumps(e["values"], sort_keys=True))
                for e in f["evidence"]
                if not e.get("withdrawn")
            ),
        )
        for f in flags
        if f["auto_resolution_reason"] != "superseded"
    }


@pytest.fixture
def engine(app, make_patient, make_programme, measure_library) -> Callable[..., Engine]:
    """``engine(baseline_pain=3, start=0, timezone="UTC", **patient_fields)`` → an Engine."""

    def make(
        *,
        baseline_pain: float | None = 3,
        start: int | None = 0,
        timezone: str = "UTC",
        therapist=None,
        schedule: dict[str, Any] | None = None,
        thresholds: dict[str, Any] | None = None,
    ) -> Engine:
        patient = make_patient(therapist, timezone=timezone)
        if start is not None:
            make_programme(
                patient,
                start_date=day(start),
                baseline_pain=baseline_pain,
                schedule=schedule,
                effective_at=datetime.combine(day(start), time(0), UTC) - timedelta(days=1),
            )
            if thresholds:
                with app.app_context():
                    db.session.execute(
                        sa.update(ProgrammeRevision)
                        .where(ProgrammeRevision.patient_id == patient.id)
                        .values(flag_thresholds=thresholds)
                    )
                    db.session.commit()
        return Engine(app, patient.id, patient.clinic_id, timezone, patient.therapist_id)

    return make


@pytest.fixture
def make_flag(app) -> Callable[..., uuid.UUID]:
    """``make_flag(patient, "high_pain", status="open", opened_at=...)`` → the new flag's id."""
    from server.flags.models import SEVERITY_OF, SEVERITY_RANK

    def make(patient, flag_type: str, *, status: str = "open", opened_at: datetime) -> uuid.UUID:
        with app.app_context():
            severity = SEVERITY_OF[flag_type]
            flag = Flag(
                clinic_id=patient.clinic_id,
                patient_id=patient.id,
                type=flag_type,
                severity=severity,
                severity_rank=SEVERITY_RANK[severity],
                status=status,
                opened_at=opened_at,
                updated_at=opened_at,
                episode_start=opened_at.date(),
                last_evidence_on=opened_at.date(),
                evidence=[
                    {
                        "key": f"{flag_type}.test:{opened_at.date().isoformat()}",
                        "rule": f"{flag_type}.test",
                        "day": opened_at.date().isoformat(),
                        "values": {"daily_pain": 8},
                        "thresholds": {"high_pain": 8.0},
                        "baseline": None,
                    }
                ],
                suggested_action="contact_patient",
            )
            db.session.add(flag)
            db.session.commit()
            return flag.id

    return make
