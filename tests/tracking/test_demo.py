"""The demo seed: two patients with four weeks of history telling their stories, idempotently."""

from __future__ import annotations

from datetime import timedelta
from statistics import mean

import sqlalchemy as sa

from server.accounts.models import Patient, User
from server.accounts.queries import consents_of
from server.adherence.pain import Baseline, pain_report
from server.adherence.services import adherence_report
from server.extensions import db
from server.programmes.models import ProgrammeRevision
from server.seeding import seed_all
from server.seeding.demo_history import PROGRESSION_DAY, WORSENING_FROM

NO_BASELINE = Baseline(None, "none", 0)  # only the days are read here


def _row_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table)) or 0
        for table in db.metadata.sorted_tables
    }


def _patient(email: str) -> Patient:
    user = db.session.scalar(sa.select(User).where(User.email == email))
    return db.session.get(Patient, user.id)


def test_demo_seed_tells_both_stories_and_runs_twice_without_change(app_ctx, seed_dir) -> None:
    assert seed_all(seed_dir)["demo_patients"] == 2
    db.session.commit()
    before = _row_counts()

    assert seed_all(seed_dir)["demo_patients"] == 0
    db.session.commit()
    assert _row_counts() == before

    flare, worsening = _patient("ayse@demo.example"), _patient("john@demo.example")
    for patient in (flare, worsening):
        report = adherence_report(patient=patient, start=None, end=None, actor=None)
        assert len(report.days) == 28
        assert report.totals.ratio > 0.7
        assert patient.last_activity_at is not None
        # Consent to the text in force is on record, so the demo app asks for none.
        assert [c.version for c in consents_of(patient.id)] == [1]

    series = pain_report(patient=flare, start=None, end=None, actor=None, baseline=NO_BASELINE).days
    baseline = 3
    assert series[PROGRESSION_DAY].max_pain >= baseline + 2
    # Today may hold no data yet, depending on the hour the test runs.
    assert all((d.max_pain or 0) <= baseline + 1 for d in series[PROGRESSION_DAY + 1 :])
    assert all(d.max_pain <= baseline for d in series[:PROGRESSION_DAY])
    kinds = db.session.scalars(
        sa.select(ProgrammeRevision.kind)
        .where(ProgrammeRevision.patient_id == flare.id)
        .order_by(ProgrammeRevision.number)
    ).all()
    assert kinds == ["initial", "progress"]
    progression = series[PROGRESSION_DAY].day
    assert (
        adherence_report(
            patient=flare, start=progression, end=progression + timedelta(days=1), actor=None
        )
        .days[0]
        .revision_number
        == 2
    )

    series = pain_report(
        patient=worsening, start=None, end=None, actor=None, baseline=NO_BASELINE
    ).days
    worse = [d.max_pain for d in series[WORSENING_FROM:] if d.max_pain is not None]
    assert mean(worse) >= baseline + 2
    assert all(d.max_pain <= baseline for d in series[:WORSENING_FROM])


def test_demo_patients_show_an_expected_flare_that_settled_and_an_open_worsening(
    app_ctx, seed_dir
) -> None:
    """The flag engine's two stories (issue 6): the flare settles by itself, worsening stays."""
    from server.flags.models import Flag

    seed_all(seed_dir)
    db.session.commit()
    flare, worsening = _patient("ayse@demo.example"), _patient("john@demo.example")

    def flags_of(patient: Patient) -> list[Flag]:
        return db.session.scalars(sa.select(Flag).where(Flag.patient_id == patient.id)).all()

    flares = [f for f in flags_of(flare) if f.type == "flare_up"]
    assert [(f.status, f.expected) for f in flares] == [("auto_resolved", True)]
    assert not [f for f in flags_of(flare) if f.type == "worsening"]
    open_worsening = [
        f for f in flags_of(worsening) if f.type == "worsening" and f.status == "open"
    ]
    assert len(open_worsening) == 1


def test_demo_patients_have_an_ndi_series(app_ctx, seed_dir) -> None:
    """Outcome measures (issue 23): Ayşe's NDI improves past the MCID, John's worsens by 8."""
    from server.flags.models import Flag
    from server.measures.models import MeasureResponse, MeasureSchedule

    seed_all(seed_dir)
    db.session.commit()
    flare, worsening = _patient("ayse@demo.example"), _patient("john@demo.example")
    for patient, scores in ((flare, [24.0, 14.0]), (worsening, [24.0, 32.0])):
        assert (
            db.session.scalar(
                sa.select(MeasureSchedule.measure_code).where(
                    MeasureSchedule.patient_id == patient.id
                )
            )
            == "NDI"
        )
        series = db.session.scalars(
            sa.select(MeasureResponse.score)
            .where(MeasureResponse.patient_id == patient.id)
            .order_by(MeasureResponse.recorded_at)
        ).all()
        assert series == scores
    outcome_flags = db.session.scalars(
        sa.select(Flag.patient_id).where(Flag.type == "outcome_worsened", Flag.status == "open")
    ).all()
    assert outcome_flags == [worsening.id]
