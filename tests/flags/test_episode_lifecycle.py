"""The episode lifecycle as stored: the day a flag was raised, every piece of evidence it gathered,
the day it escalated or settled and why. Whole episodes are compared, every field. Baseline 3.
"""

from __future__ import annotations

import pytest

from server.flag_thresholds import Thresholds
from server.flags.episodes import (
    PROGRAMME_ENDED,
    Episode,
    evaluate,
    final_state,
    flare_outcome,
    flare_scan,
    non_adherence_scan,
    progression_scan,
)
from server.flags.rules import Evidence
from tests.flags.helpers import ctx, day, facts, series_of


def iso(n: int) -> str:
    return day(n).isoformat()


def daily(n: int, pain: int) -> Evidence:
    return Evidence("flare_up.daily_pain", day(n), {"daily_pain": pain})


def settled(n: int, pains: list[int]) -> Evidence:
    values = {"days": [iso(n - 1), iso(n)], "daily_pain": pains}
    return Evidence("flare_up.settled", day(n), values)


def escalation(rule: str, n: int, start: int, raised: dict[int, int]) -> Evidence:
    latest = max(raised)
    values = {
        "flare_start": iso(start),
        "latest_day": iso(latest),
        "daily_pain": raised[latest],
        "raised_days": [iso(d) for d in sorted(raised)],
    }
    return Evidence(rule, day(n), values)


def test_a_flare_that_settles_within_72_hours():
    episodes, escalations = flare_scan(series_of([3, 7, 4, 3, 3]), ctx(6), day(0))
    assert episodes == [
        Episode("flare_up", day(1), [daily(1, 7), settled(3, [4, 3])], day(3), "settled", True)
    ]
    assert escalations == []


def test_a_flare_that_escalates_records_each_raised_day():
    episodes, escalations = flare_scan(series_of([7, 4, 6, 5, 9]), ctx(6), day(0))
    raised = {2: 6, 3: 5}
    assert episodes == [
        Episode(
            "flare_up",
            day(0),
            [
                daily(0, 7),
                daily(2, 6),
                daily(3, 5),
                escalation("flare_up.escalated", 3, 0, raised),
            ],
            day(3),
            "escalated",
            True,
        ),
        Episode("flare_up", day(4), [daily(4, 9)], None, None, True),
    ]
    assert escalations == [escalation("worsening.unsettled_flare", 3, 0, raised)]


def test_a_flare_escalates_on_the_day_in_progress_once_that_day_is_raised():
    episodes, _ = flare_scan(series_of([7, 6, 6, 6]), ctx(3), day(0))
    assert (episodes[0].end, episodes[0].end_reason) == (day(3), "escalated")
    assert episodes[0].evidence[-1] == escalation("flare_up.escalated", 3, 0, {1: 6, 2: 6, 3: 6})


@pytest.mark.parametrize("today_pain", [4, None])
def test_a_low_or_empty_day_in_progress_does_not_escalate_yet(today_pain):
    episodes, escalations = flare_scan(series_of([7, 6, 6, today_pain]), ctx(3), day(0))
    assert [(e.start, e.end, e.end_reason) for e in episodes] == [(day(0), None, None)]
    assert escalations == []
    # The day over, the same data escalates: raised on days 1 and 2, not settled in 72 h.
    later, _ = flare_scan(series_of([7, 6, 6, today_pain]), ctx(4), day(0))
    assert later[0].evidence[-1] == escalation("flare_up.escalated", 3, 0, {1: 6, 2: 6})


@pytest.mark.parametrize(
    ("window", "end", "reason"), [(2, 2, "escalated"), (3, 3, "settled"), (4, 3, "settled")]
)
def test_settle_window_boundary(window, end, reason):
    context = ctx(8, thresholds=Thresholds(settle_window_days=window))
    episodes, _ = flare_scan(series_of([7, 6, 4, 4]), context, day(0))
    assert (episodes[0].end, episodes[0].end_reason) == (day(end), reason)


def test_settled_late_is_the_first_two_settled_days_after_the_window():
    episodes, escalations = flare_scan(series_of([7, 4, None, 4, 3]), ctx(9), day(0))
    assert episodes == [
        Episode("flare_up", day(0), [daily(0, 7), settled(4, [4, 3])], day(4), "settled_late", True)
    ]
    assert escalations == []


def test_final_state_of_today_counts_only_when_raised():
    series = series_of([7, 4])
    assert final_state(series, day(1), ctx(1)) is None
    assert final_state(series, day(0), ctx(1)) == "raised"
    assert final_state(series, day(1), ctx(2)) == "settled"
    assert final_state(series_of([3, 7]), day(1), ctx(1)) == "raised"


def test_flare_outcome_never_counts_the_onset_day_as_settled():
    series = series_of([4, 4, 4])
    assert flare_outcome(series, ctx(5), day(0), day(1)) is None
    assert flare_outcome(series, ctx(5), day(0), day(2)) == ("settled", settled(2, [4, 4]))


def test_an_unexpected_flare_well_after_the_start():
    episodes, _ = flare_scan(series_of([3] * 20 + [8, 4, 4]), ctx(25), day(0))
    assert episodes == [
        Episode("flare_up", day(20), [daily(20, 8), settled(22, [4, 4])], day(22), "settled")
    ]


def test_scan_from_a_later_first_day_ignores_earlier_days():
    episodes, _ = flare_scan(series_of([7, 3, 3, 7, 4, 4]), ctx(8), day(2))
    assert [(e.start, e.end) for e in episodes] == [(day(3), day(5))]


# --- non-adherence ------------------------------------------------------------------------


def nothing(n: int, first: int) -> Evidence:
    return Evidence("non_adherence.nothing_logged", day(n), {"from": iso(first)})


def test_non_adherence_episode_gathers_each_days_evidence_until_back():
    series = {day(n): facts(n, 3) for n in range(5)}
    series[day(9)] = facts(9, 3)
    episodes = non_adherence_scan(series, ctx(12), day(0))
    assert episodes == [
        Episode(
            "non_adherence", day(7), [nothing(7, 5), nothing(8, 6)], day(9), "back_above_threshold"
        )
    ]


def test_non_adherence_stays_open_while_the_rule_holds():
    series = {day(n): facts(n, 3) for n in range(5)}
    episodes = non_adherence_scan(series, ctx(9), day(0))
    assert episodes == [Episode("non_adherence", day(7), [nothing(7, 5), nothing(8, 6)])]


def test_non_adherence_open_at_a_programme_end_before_its_start_closes_on_its_start():
    series = {day(n): facts(n, 3) for n in range(5)}
    episodes = non_adherence_scan(series, ctx(9, end=5), day(7))
    assert episodes == []
    episodes = non_adherence_scan(series, ctx(9, end=8), day(0))
    assert episodes == [
        Episode("non_adherence", day(7), [nothing(7, 5), nothing(8, 6)], day(8), PROGRAMME_ENDED)
    ]


# --- progression ready --------------------------------------------------------------------


def good_days(last: int) -> dict:
    return {day(n): facts(n, 2, exertion_max=4) for n in range(last)}


def ready(n: int) -> Evidence:
    values = {"adherence": 1.0, "max_daily_pain": 2, "max_exertion": 4, "from": iso(n - 13)}
    return Evidence("progression_ready.criteria", day(n), values)


def test_progression_is_judged_on_complete_days_only():
    assert progression_scan(good_days(16), ctx(13), day(0)) == []
    assert progression_scan(good_days(16), ctx(14), day(0)) == [
        Episode("progression_ready", day(13), [ready(13)])
    ]


@pytest.mark.parametrize(("pain", "ends"), [(3, False), (4, True)])
def test_progression_ends_when_pain_rises_above_baseline(pain, ends):
    series = good_days(16)
    series[day(15)] = facts(15, pain)
    episodes = progression_scan(series, ctx(17), day(0))
    expected = (day(15), "pain_above_baseline") if ends else (None, None)
    assert [(e.start, e.evidence, e.end, e.end_reason) for e in episodes] == [
        (day(13), [ready(13)], *expected)
    ]


def test_a_new_suggestion_after_an_intensity_change_needs_another_fourteen_days():
    episodes = progression_scan(good_days(40), ctx(40, changes=(15,)), day(0))
    assert [(e.start, e.end, e.end_reason) for e in episodes] == [
        (day(13), day(15), "intensity_changed"),
        (day(28), None, None),
    ]


# --- evaluate ------------------------------------------------------------------------------


def test_evaluate_judges_worsening_on_complete_days_and_high_pain_today_too():
    series = series_of([3, 3, 3, 9, 9, 9, 9])
    findings = evaluate(series, ctx(6), day(0))
    assert [e.day for e in findings.triggers["high_pain"]] == [day(n) for n in (3, 4, 5, 6)]
    mean_days = [e.day for e in findings.triggers["worsening"] if e.rule == "worsening.mean_7d"]
    assert mean_days == [day(4), day(5)]  # mean 5.4 from day 4; today (6) is not complete


def test_evaluate_before_the_first_day_finds_nothing():
    findings = evaluate(series_of([9, 9]), ctx(1), day(2))
    assert findings.episodes == []
    assert findings.triggers == {"worsening": [], "high_pain": []}
    same_day = evaluate(series_of([9, 9]), ctx(1), day(1))
    assert [e.day for e in same_day.triggers["high_pain"]] == [day(1)]


def test_after_pain_ends_a_suggestion_fourteen_good_days_make_a_new_one():
    series = good_days(31)
    series[day(15)] = facts(15, 4)
    episodes = progression_scan(series, ctx(31), day(0))
    assert [(e.start, e.end, e.end_reason) for e in episodes] == [
        (day(13), day(15), "pain_above_baseline"),
        (day(29), None, None),
    ]


def test_a_derived_baseline_ends_a_suggestion_too():
    series = good_days(17)
    series[day(15)] = facts(15, 4)
    episodes = progression_scan(series, ctx(17, derived_on=0), day(0))
    assert [(e.start, e.end, e.end_reason) for e in episodes] == [
        (day(13), day(15), "pain_above_baseline")
    ]
