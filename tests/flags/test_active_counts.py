"""The active flag counts the database keeps (``ActiveFlagCount``) always equal the flags
counted anew, whatever writes the flags: the engine, a review, an erasure, plain SQL."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import sqlalchemy as sa

from server.access import Actor
from server.events import PatientErased
from server.extensions import db
from server.flags import events
from server.flags.models import ACTIVE_STATUSES, SEVERITIES, ActiveFlagCount, Flag
from server.flags.review import acknowledge_flag, resolve_flag
from tests.flags.conftest import active_counts, check, pain


def recounted() -> dict:
    """Each patient's active flags by severity, counted from the flags (none: no entry)."""
    rows = db.session.execute(
        sa.select(Flag.patient_id, Flag.severity, sa.func.count())
        .where(Flag.status.in_(ACTIVE_STATUSES))
        .group_by(Flag.patient_id, Flag.severity)
    ).all()
    counts: dict = {}
    for patient_id, severity, count in rows:
        counts.setdefault(patient_id, dict.fromkeys(SEVERITIES, 0))[severity] = count
    return counts


def maintained() -> dict:
    """The kept counts, a patient whose counts are all zero left out (as if never counted)."""
    rows = db.session.execute(sa.select(ActiveFlagCount)).scalars()
    kept = {row.patient_id: {s: getattr(row, s) for s in SEVERITIES} for row in rows}
    return {patient_id: counts for patient_id, counts in kept.items() if any(counts.values())}


def assert_in_step(app) -> dict:
    with app.app_context():
        counts = recounted()
        assert maintained() == counts
    return counts


def test_counts_follow_the_engine_reviews_and_erasure(engine, app):
    first, second, quiet = engine(), engine(), engine()
    first.ingest([pain(2, 9), check(2, thunderclap=True)], first.at(2, 20))
    second.ingest([pain(2, 9)], second.at(2, 20))
    counts = assert_in_step(app)
    assert counts[first.patient_id] == {"urgent": 1, "high": 1, "normal": 1, "low": 0, "info": 0}
    assert quiet.patient_id not in counts

    with app.app_context():
        therapist = Actor(first.therapist_id, "therapist", first.clinic_id)
        acknowledge_flag(actor=therapist, flag_id=first.one("red_flag")["id"])
        db.session.commit()
    assert assert_in_step(app)[first.patient_id]["urgent"] == 1  # acknowledged: still active
    with app.app_context():
        resolve_flag(
            actor=therapist, flag_id=first.one("red_flag")["id"], note="Seen.", action="contacted"
        )
        db.session.commit()
    assert assert_in_step(app)[first.patient_id]["urgent"] == 0

    first.ingest([pain(n, 2) for n in range(3, 9)], first.at(9, 1))  # the pain settles
    assert_in_step(app)
    with app.app_context():
        for patient, retention in ((first, "keep_deidentified"), (second, "delete")):
            event = PatientErased(
                patient.patient_id, patient.clinic_id, retention, datetime.now(UTC)
            )
            events.erase.run(event)
        db.session.commit()
    counts = assert_in_step(app)
    assert first.patient_id not in counts
    assert second.patient_id not in counts


def test_counts_follow_any_statement_on_the_flags(engine, app, make_flag):
    first, second = engine(), engine()
    opened = datetime(2026, 1, 5, 12, tzinfo=UTC)
    patients = [SimpleNamespace(id=p.patient_id, clinic_id=p.clinic_id) for p in (first, second)]
    ids = [make_flag(patients[0], kind, opened_at=opened) for kind in ("high_pain", "flare_up")]
    make_flag(patients[0], "worsening", status="resolved", opened_at=opened)
    make_flag(patients[1], "non_adherence", status="acknowledged", opened_at=opened)
    assert_in_step(app)
    with app.app_context():
        db.session.execute(sa.update(Flag).where(Flag.id == ids[0]).values(severity="urgent"))
        db.session.execute(
            sa.update(Flag).where(Flag.id == ids[1]).values(patient_id=second.patient_id)
        )
        db.session.execute(sa.update(Flag).values(updated_at=opened))  # no count moves
        db.session.commit()
    counts = assert_in_step(app)
    assert counts[first.patient_id]["urgent"] == 1
    assert counts[second.patient_id] == {"urgent": 0, "high": 0, "normal": 1, "low": 1, "info": 0}
    with app.app_context():
        db.session.execute(sa.update(Flag).where(Flag.status == "resolved").values(status="open"))
        db.session.execute(sa.delete(Flag).where(Flag.id == ids[0]))
        db.session.commit()
    assert_in_step(app)
    with app.app_context():
        assert active_counts([first.patient_id])[first.patient_id]["high"] == 1
