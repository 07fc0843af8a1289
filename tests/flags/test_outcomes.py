"""The outcome flags: ``outcome_worsened`` (a scored measure worse than baseline by its MCID)
and ``not_improving`` (no measure better by its MCID by week ``not_improving_weeks``), through
the flag engine, with evidence naming the measure, the scores, the MCID and its citation."""

from __future__ import annotations

from datetime import date, timedelta

from tests.flags.conftest import ndi

START = date(2026, 3, 2)
YOUNG = "Young BA, Walker MJ, Strunce JB"


def test_a_worsening_of_eight_ndi_points_raises_outcome_worsened(engine) -> None:
    patient = engine()
    patient.ingest([ndi(1, 24)], patient.at(1, 13))
    patient.ingest([ndi(20, 32)], patient.at(20, 13))
    flag = patient.one("outcome_worsened")
    assert (flag["severity"], flag["status"], flag["episode_start"]) == (
        "high",
        "open",
        START + timedelta(days=20),
    )
    (evidence,) = flag["evidence"]
    values = evidence["values"]
    assert (values["measure"], values["score"], values["baseline_score"], values["change"]) == (
        "NDI",
        32.0,
        24.0,
        -8.0,
    )
    assert values["mcid"] == 7.5
    assert values["mcid_citation"].startswith(YOUNG)
    # Back within the MCID of baseline: the flag resolves itself.
    patient.ingest([ndi(27, 25)], patient.at(27, 13))
    flag = patient.one("outcome_worsened")
    assert (flag["status"], flag["auto_resolution_reason"]) == (
        "auto_resolved",
        "no_longer_worsened",
    )


def test_week_six_with_no_meaningful_change_raises_not_improving(engine) -> None:
    patient = engine()
    patient.ingest([ndi(0, 24), ndi(28, 21)], patient.at(28, 13))
    assert patient.flags("not_improving") == []
    patient.tick(patient.at(42, 0, 5))
    flag = patient.one("not_improving")
    assert (flag["severity"], flag["episode_start"], flag["suggested_action"]) == (
        "normal",
        START + timedelta(weeks=6),
        "review_outcome",
    )
    (evidence,) = flag["evidence"]
    assert evidence["thresholds"] == {"not_improving_weeks": 6}
    (ndi_values,) = evidence["values"]["measures"]
    assert (ndi_values["change"], ndi_values["interpretation"]) == (3.0, "no_meaningful_change")
    patient.ingest([ndi(45, 14)], patient.at(45, 13))
    assert patient.one("not_improving")["auto_resolution_reason"] == "improved"


def test_the_programmes_threshold_moves_the_week(engine) -> None:
    patient = engine(thresholds={"not_improving_weeks": 8})
    patient.ingest([ndi(0, 24), ndi(28, 21)], patient.at(28, 13))
    patient.tick(patient.at(42, 0, 5))
    assert patient.flags("not_improving") == []
    patient.tick(patient.at(56, 0, 5))
    assert patient.one("not_improving")["episode_start"] == START + timedelta(weeks=8)
