"""Every flag rule at its threshold, one step below and one step above, with its evidence asserted
key by key: the evidence is what the clinician reads. Baseline 3 (therapist) unless told.
"""

from __future__ import annotations

import dataclasses

import pytest

from server.flag_thresholds import Thresholds
from server.flags import rules
from server.flags.rules import Baseline, DayFacts, Evidence, derive_baseline
from tests.flags.helpers import D0, ctx, day, facts, series_of


def iso(n: int) -> str:
    return day(n).isoformat()


def entries(found) -> list[tuple[str, str, dict]]:
    return [(e.rule, e.day.isoformat(), e.values) for e in found]


# --- Evidence and baseline as stored ------------------------------------------------------


def test_evidence_entry_is_every_key_of_the_stored_json():
    context = ctx(9, baseline=4, derived_on=6)
    values = {"mean": 6.5, "days_with_data": 4, "from": iso(2)}
    entry = Evidence("worsening.mean_7d", day(8), values).as_dict(context)
    assert entry == {
        "key": f"worsening.mean_7d:{iso(8)}",
        "rule": "worsening.mean_7d",
        "day": iso(8),
        "values": values,
        "thresholds": {"worsening_rise": 2, "worsening_relative": 0.3, "mean_min_days": 4},
        "threshold_sources": {
            "worsening_rise": "default",
            "worsening_relative": "default",
            "mean_min_days": "default",
        },
        "baseline": {"value": 4, "source": "derived", "established_on": iso(6)},
    }


def test_evidence_names_where_each_of_its_thresholds_came_from():
    sources = {"worsening_rise": "programme", "worsening_relative": "clinic", "high_pain": "clinic"}
    context = dataclasses.replace(ctx(9), threshold_sources=sources)
    entry = Evidence("worsening.mean_7d", day(8), {}).as_dict(context)
    # Only this rule's thresholds, each with its own source; one set nowhere is the default.
    assert entry["threshold_sources"] == {
        "worsening_rise": "programme",
        "worsening_relative": "clinic",
        "mean_min_days": "default",
    }


def test_evidence_without_a_baseline_or_known_rule_records_none_and_no_thresholds():
    entry = Evidence("flare_up.escalated", day(3), {}).as_dict(ctx(5, baseline=None))
    assert entry == {
        "key": f"flare_up.escalated:{iso(3)}",
        "rule": "flare_up.escalated",
        "day": iso(3),
        "values": {},
        "thresholds": {},
        "threshold_sources": {},
        "baseline": None,
    }


def test_evidence_values_default_to_a_fresh_empty_mapping():
    first, second = Evidence("r", D0), Evidence("r", D0)
    assert first.values == {}
    assert first.values is not second.values


def test_derived_baseline_is_in_force_from_its_seventh_data_day():
    seven = [(day(n), pain) for n, pain in zip(range(0, 14, 2), [5, 1, 4, 2, 3, 9, 0], strict=True)]
    baseline = derive_baseline(seven)
    assert baseline == Baseline(3.0, "derived", day(12))
    assert (baseline.as_of(day(11)), baseline.as_of(day(12)), baseline.as_of(day(13))) == (
        None,
        3.0,
        3.0,
    )
    assert baseline.as_evidence() == {"value": 3.0, "source": "derived", "established_on": iso(12)}
    assert Baseline(2.5, "therapist").as_evidence() == {
        "value": 2.5,
        "source": "therapist",
        "established_on": None,
    }


@pytest.mark.parametrize(("data_days", "expected"), [(6, None), (7, 2.0), (8, 2.0)])
def test_baseline_needs_exactly_seven_days_with_data(data_days, expected):
    pains = [(day(n), [2, 2, 2, 2, 2, 2, 2, 9][n]) for n in range(data_days)]
    found = derive_baseline(pains, Thresholds())
    assert (found.value if found else None) == expected
    if found:
        assert found.established_on == day(6)


def test_context_without_a_baseline_has_none_on_every_day():
    assert ctx(5, baseline=None).baseline_on(day(3)) is None
    assert ctx(5).baseline_on(day(3)) == 3


def test_an_empty_day_is_all_defaults():
    assert rules.facts({}, day(4)) == DayFacts(
        day(4), None, None, None, 0, None, 0, 0, exercised=False, logged=False
    )
    assert [f.day for f in rules.window({}, day(6), 3)] == [day(4), day(5), day(6)]


# --- flare triggers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pain", "session_pain", "expected"),
    [
        (4, None, []),
        (5, None, [("flare_up.daily_pain", {"daily_pain": 5})]),
        (6, None, [("flare_up.daily_pain", {"daily_pain": 6})]),
        (3, 5, []),
        (3, 6, [("flare_up.session_pain", {"session_pain": 6})]),
        (3, 4, []),
    ],
)
def test_flare_triggers_at_the_edges_with_their_evidence(pain, session_pain, expected):
    series = {day(3): facts(3, pain, session_pain=session_pain)}
    found = rules.flare_triggers(series, day(3), ctx(5))
    assert entries(found) == [(rule, iso(3), values) for rule, values in expected]


@pytest.mark.parametrize(("morning", "fires"), [(4, False), (5, True), (6, True)])
def test_next_morning_pain_after_a_session_day(morning, fires):
    series = {
        day(2): facts(2, 3, exercised=True),
        day(3): facts(3, 4, morning_pain=morning),
    }
    found = rules.flare_triggers(series, day(3), ctx(5))
    expected = [("flare_up.next_morning", iso(3), {"morning_pain": morning, "session_day": iso(2)})]
    assert entries(found) == (expected if fires else [])


def test_next_morning_needs_the_session_the_day_before_not_two_days_before():
    series = {day(1): facts(1, 3, exercised=True), day(3): facts(3, 4, morning_pain=6)}
    assert rules.flare_triggers(series, day(3), ctx(5)) == []


def test_flare_rise_is_read_from_the_thresholds_in_force():
    series = {day(3): facts(3, 5)}
    assert rules.flare_triggers(series, day(3), ctx(5, thresholds=Thresholds(flare_rise=3))) == []
    tighter = ctx(5, thresholds=Thresholds(flare_rise=1))
    assert entries(rules.flare_triggers({day(3): facts(3, 4)}, day(3), tighter)) == [
        ("flare_up.daily_pain", iso(3), {"daily_pain": 4})
    ]


@pytest.mark.parametrize(
    ("pain", "baseline", "flare_rise", "state"),
    [
        (4, 3, 2, "settled"),  # baseline + 1
        (5, 3, 3, "raised"),  # above baseline + 1 though below the flare rise
        (4, 2.5, 2, "raised"),  # 4 > 3.5: the margin, not the flare rise, decides
        (3, 2.5, 2, "settled"),
        (5, None, 2, "settled"),  # no baseline: the Silbernagel limit 5 is the reference
        (6, None, 2, "raised"),
    ],
)
def test_pain_state_at_the_settle_margin(pain, baseline, flare_rise, state):
    context = ctx(5, baseline=baseline, thresholds=Thresholds(flare_rise=flare_rise))
    assert rules.pain_state({day(3): facts(3, pain)}, day(3), context) == state


def test_pain_state_is_raised_by_a_next_morning_flare_alone():
    series = {day(2): facts(2, 3, exercised=True), day(3): facts(3, 5, morning_pain=5)}
    loose = ctx(5, thresholds=Thresholds(settle_margin=5))
    assert rules.pain_state(series, day(3), loose) == "raised"


@pytest.mark.parametrize(
    ("offset", "expected"), [(-1, False), (0, True), (1, True), (13, True), (14, True), (15, False)]
)
def test_expected_window_around_a_progression(offset, expected):
    context = ctx(60, start=None, increases=(20,))
    assert rules.is_expected(day(20 + offset), context) is expected


def test_nothing_is_expected_without_an_anchor():
    assert rules.is_expected(day(3), ctx(5, start=None)) is False


# --- worsening ----------------------------------------------------------------------------


def test_seven_day_mean_evidence():
    series = series_of([None, 5, 5, 6, None, 5, 5], first=10)
    found = rules.mean_7d_trigger(series, day(16), ctx(20))
    assert entries([found]) == [
        ("worsening.mean_7d", iso(16), {"mean": 5.2, "days_with_data": 5, "from": iso(10)})
    ]


@pytest.mark.parametrize(
    ("pains", "fires"),
    [
        ([9, 9, 9, 9, 9, 9, 9], False),  # 9.0 < 7 × 1.3 = 9.1
        ([9, 9, 9, 9, 9, 9, 10], True),  # 9.14
        ([9, 9, 9, 9, 9, 10, 10], True),  # 9.29
    ],
)
def test_seven_day_mean_thirty_percent_above_a_high_baseline(pains, fires):
    series = series_of(pains, first=10)
    found = rules.mean_7d_trigger(series, day(16), ctx(20, baseline=7))
    assert (found is not None) is fires


@pytest.mark.parametrize(
    ("pains", "fires"),
    [
        ([4, 4, 5, 5, 5, 5, 5], False),
        ([4, 5, 5, 5, 5, 5, 5], False),
        ([5] * 7, True),
        ([6] * 7, True),
    ],
)
def test_seven_day_mean_at_baseline_plus_two(pains, fires):
    found = rules.mean_7d_trigger(series_of(pains, first=10), day(16), ctx(20))
    assert (found is not None) is fires


def test_seven_day_mean_only_counts_the_seven_days_up_to_the_day():
    series = series_of([9, 3, 3, 3, 3, 3, 3, 3, 9], first=9)  # day 9 and day 17 lie outside
    assert rules.mean_7d_trigger(series, day(16), ctx(20)) is None
    assert rules.mean_7d_trigger(series_of([6] * 4, first=13), day(16), ctx(20, baseline=None)) is (
        None
    )


def test_headache_days_evidence():
    series = {day(n): facts(n, 4, headaches=1) for n in (8, 14, 15, 16)}
    found = rules.headache_days_trigger(series, day(20), ctx(21, start=7))
    assert entries([found]) == [
        (
            "worsening.headache_days",
            iso(20),
            {"headache_days_last_7": 3, "headache_days_previous_7": 1},
        )
    ]


@pytest.mark.parametrize(("previous", "last", "fires"), [(2, 3, False), (2, 4, True), (2, 5, True)])
def test_headache_days_at_the_rise(previous, last, fires):
    series = {day(7 + n): facts(7 + n, 4, headaches=1) for n in range(previous)}
    series |= {day(14 + n): facts(14 + n, 4, headaches=3) for n in range(last)}
    assert (rules.headache_days_trigger(series, day(20), ctx(21)) is not None) is fires


def test_headache_days_need_a_programme_start():
    series = {day(14 + n): facts(14 + n, 4, headaches=1) for n in range(5)}
    assert rules.headache_days_trigger(series, day(20), ctx(21, start=None)) is None


def morning_weeks(counts, values=(2, 3, 4)):
    """Three weeks from day 0 with ``counts[i]`` morning ratings of ``values[i]`` in week i."""
    series = {}
    for week, (count, value) in enumerate(zip(counts, values, strict=True)):
        for n in range(7 * week, 7 * week + count):
            series[day(n)] = facts(n, value, morning_pain=value)
    return series


@pytest.mark.parametrize(
    ("counts", "fires"),
    [
        ((3, 3, 3), True),
        ((2, 3, 3), False),
        ((3, 2, 3), False),
        ((3, 3, 2), False),
        ((4, 4, 4), True),
    ],
)
def test_morning_rising_needs_three_ratings_in_each_week(counts, fires):
    found = rules.morning_rising_trigger(morning_weeks(counts), day(20), ctx(21))
    assert (found is not None) is fires


def test_morning_rising_evidence():
    series = morning_weeks((3, 4, 3))
    series[day(8)] = facts(8, 5, morning_pain=5)  # week 2: 3, 5, 3, 3
    found = rules.morning_rising_trigger(series, day(20), ctx(21))
    assert entries([found]) == [
        (
            "worsening.morning_rising",
            iso(20),
            {"weekly_morning_means": [2.0, 3.5, 4.0], "from": iso(0)},
        )
    ]


@pytest.mark.parametrize(
    ("values", "rise_min", "fires"),
    [((2, 3, 4), 0, True), ((2, 3, 4), 1, False), ((2, 3, 4), 0.99, True), ((2, 3, 3), 0, False)],
)
def test_morning_rising_by_more_than_the_minimum(values, rise_min, fires):
    context = ctx(21, thresholds=Thresholds(morning_rise_min=rise_min))
    found = rules.morning_rising_trigger(morning_weeks((3, 3, 3), values), day(20), context)
    assert (found is not None) is fires


def test_worsening_triggers_gathers_the_three_rules_in_order():
    series = {}
    for n in range(21):
        value = 2 + n // 7 * 3  # mornings 2, 5, 8: rising; the last week's mean 8 ≥ 3 + 2
        series[day(n)] = facts(n, value, morning_pain=value, headaches=1 if n >= 14 else 0)
    found = rules.worsening_triggers(series, day(20), ctx(21))
    assert [e.rule for e in found] == [
        "worsening.mean_7d",
        "worsening.headache_days",
        "worsening.morning_rising",
    ]
    assert rules.worsening_triggers(series_of([3] * 21), day(20), ctx(21)) == []


@pytest.mark.parametrize(("pain", "fires"), [(7, False), (8, True), (9, True)])
def test_high_pain_evidence(pain, fires):
    found = rules.high_pain_trigger({day(4): facts(4, pain)}, day(4), ctx(5))
    assert (entries([found]) if found else []) == (
        [("high_pain.rating", iso(4), {"max_pain": pain})] if fires else []
    )


def test_high_pain_without_data_is_nothing():
    assert rules.high_pain_trigger({}, day(4), ctx(5)) is None


# --- non-adherence ------------------------------------------------------------------------


def adherence_series(credit_per_day: float, due: int = 2, last: int = 10) -> dict:
    return {
        day(n): facts(n, 3, sessions_due=due, sessions_credit=credit_per_day) for n in range(last)
    }


@pytest.mark.parametrize(
    ("credit", "due", "expected"),
    [
        (0.9, 2, {"ratio": 0.45, "sessions_due": 14, "sessions_credit": pytest.approx(6.3)}),
        (1.0, 2, None),  # exactly 50 %
        (1.1, 2, None),
        (0.0, 0, None),  # nothing prescribed: no ratio, no flag
    ],
)
def test_low_adherence_at_half_with_its_evidence(credit, due, expected):
    found = rules.non_adherence_triggers(adherence_series(credit, due), day(8), ctx(10))
    low = [e for e in found if e.rule == "non_adherence.low_adherence"]
    assert [(e.day, e.values) for e in low] == ([(day(8), expected)] if expected else [])


@pytest.mark.parametrize(("today", "judged"), [(5, False), (6, True), (7, True)])
def test_low_adherence_once_the_programme_has_run_seven_days(today, judged):
    series = adherence_series(0.0)
    found = rules.non_adherence_triggers(series, day(today), ctx(10, start=0))
    assert ("non_adherence.low_adherence" in [e.rule for e in found]) is judged


def test_low_adherence_window_is_the_last_seven_days():
    series = adherence_series(2.0, last=12)
    for n in (1, 2, 3, 4, 5, 6, 7):
        series[day(n)] = facts(n, 3, sessions_credit=0.0)  # days 1-7 missed, day 8 not in view
    found = rules.non_adherence_triggers(series, day(8), ctx(12))
    assert [(e.rule, e.values) for e in found] == [
        (
            "non_adherence.low_adherence",
            {"ratio": 0.143, "sessions_due": 14, "sessions_credit": 2.0},
        )
    ]
    assert rules.non_adherence_triggers(series, day(9), ctx(12)) == [
        rules.Evidence(
            "non_adherence.low_adherence",
            day(9),
            {"ratio": 0.286, "sessions_due": 14, "sessions_credit": 4.0},
        )
    ]


@pytest.mark.parametrize(("since_start", "fires"), [(1, False), (2, True), (3, True)])
def test_nothing_logged_counts_only_from_the_programme_start(since_start, fires):
    found = rules.non_adherence_triggers({}, day(10 + since_start), ctx(20, start=10))
    expected = [
        ("non_adherence.nothing_logged", iso(10 + since_start), {"from": iso(8 + since_start)})
    ]
    assert [e for e in entries(found) if e[0] == "non_adherence.nothing_logged"] == (
        expected if fires else []
    )


@pytest.mark.parametrize(("logged_on", "fires"), [(7, True), (8, False), (10, False), (11, True)])
def test_nothing_logged_window_is_the_three_days_up_to_the_day(logged_on, fires):
    """Judged on day 10, the window is days 8-10: a record on day 7 or day 11 does not count."""
    found = rules.non_adherence_triggers({day(logged_on): facts(logged_on, 3)}, day(10), ctx(12))
    assert entries(found) == (
        [("non_adherence.nothing_logged", iso(10), {"from": iso(8)})] if fires else []
    )


def test_no_programme_means_no_adherence_rule():
    assert rules.non_adherence_triggers({}, day(20), ctx(25, start=None)) == []


# --- progression ready --------------------------------------------------------------------


def good_fortnight(last: int = 14, **fields) -> dict:
    values = {"sessions_due": 5, "sessions_credit": 5.0, "exertion_max": 4, **fields}
    return {day(n): facts(n, 2, **values) for n in range(last)}


def test_progression_ready_evidence():
    series = good_fortnight()
    series[day(4)] = facts(4, 3, sessions_due=5, sessions_credit=4.0, exertion_max=5)
    series[day(9)] = facts(9, None, sessions_due=5, sessions_credit=5.0)
    found = rules.progression_ready(series, day(13), ctx(14))
    assert entries([found]) == [
        (
            "progression_ready.criteria",
            iso(13),
            {"adherence": 0.986, "max_daily_pain": 3, "max_exertion": 5, "from": iso(0)},
        )
    ]


def test_progression_without_exertion_ratings_records_none():
    series = {day(n): facts(n, 2, exertion_max=None) for n in range(14)}
    found = rules.progression_ready(series, day(13), ctx(14))
    assert found.values["max_exertion"] is None


@pytest.mark.parametrize(
    ("credit_on_day_0", "fires"),
    [(0.5, False), (1.0, True), (1.5, True)],  # 55.5/70 = 79.3 %, 56/70 = 80 %, 80.7 %
)
def test_progression_at_eighty_percent_adherence(credit_on_day_0, fires):
    series = good_fortnight(sessions_credit=4.0)
    series[day(0)] = facts(
        0, 2, sessions_due=5, sessions_credit=credit_on_day_0 + 3.0, exertion_max=4
    )
    found = rules.progression_ready(series, day(13), ctx(14))
    assert (found is not None) is fires


@pytest.mark.parametrize(("pain_days", "fires"), [(6, False), (7, True), (8, True)])
def test_progression_needs_seven_days_with_pain_data(pain_days, fires):
    series = good_fortnight()
    for n in range(pain_days, 14):
        series[day(n)] = facts(n, None, sessions_due=5, sessions_credit=5.0)
    assert (rules.progression_ready(series, day(13), ctx(14)) is not None) is fires


@pytest.mark.parametrize(
    ("start", "today", "fires"), [(1, 13, False), (0, 13, True), (0, 14, True)]
)
def test_progression_needs_fourteen_days_in_the_programme(start, today, fires):
    series = good_fortnight(last=16)
    found = rules.progression_ready(series, day(today), ctx(20, start=start))
    assert (found is not None) is fires


@pytest.mark.parametrize(
    ("change", "fires"),
    # A change on the judged day itself means that day was not all at one intensity; one after
    # the judged day is not yet in force.
    [(1, False), (13, False), (0, True), (14, True)],
)
def test_progression_needs_fourteen_days_at_the_current_intensity(change, fires):
    series = good_fortnight(last=16)
    found = rules.progression_ready(series, day(13), ctx(20, changes=(change,)))
    assert (found is not None) is fires


def test_progression_judges_the_latest_change_only():
    series = good_fortnight(last=20)
    found = rules.progression_ready(series, day(16), ctx(20, changes=(0, 3, 2)))
    assert found is not None
    assert found.values["from"] == iso(3)
    assert rules.progression_ready(series, day(16), ctx(20, changes=(4, 0))) is None


@pytest.mark.parametrize(("exertion", "fires"), [(4, True), (5, True), (6, False)])
def test_progression_exertion_at_most_five(exertion, fires):
    series = good_fortnight()
    series[day(7)] = facts(7, 2, sessions_due=5, sessions_credit=5.0, exertion_max=exertion)
    assert (rules.progression_ready(series, day(13), ctx(14)) is not None) is fires


def test_progression_needs_a_baseline_and_something_prescribed():
    assert rules.progression_ready(good_fortnight(), day(13), ctx(14, baseline=None)) is None
    assert rules.progression_ready(good_fortnight(), day(13), ctx(14, start=None)) is None
    nothing_due = good_fortnight(sessions_due=0, sessions_credit=0.0)
    assert rules.progression_ready(nothing_due, day(13), ctx(14)) is None


@pytest.mark.parametrize(("n", "fires"), [(11, False), (12, True)])
def test_seven_day_mean_waits_for_a_derived_baseline(n, fires):
    series = series_of([6] * 13)
    found = rules.mean_7d_trigger(series, day(n), ctx(20, derived_on=12))
    assert (found is not None) is fires


def test_seven_day_mean_is_rounded_to_two_decimals():
    found = rules.mean_7d_trigger(series_of([5, 5, 5, 6, 6, 6, 6], 10), day(16), ctx(20))
    assert found.values == {"mean": 5.57, "days_with_data": 7, "from": iso(10)}


@pytest.mark.parametrize(("pains", "fires"), [([9] * 6 + [8], False), ([9] * 7, True)])
def test_seven_day_mean_exactly_at_the_relative_rise(pains, fires):
    """Baseline 6 and a 50 % relative rise: a mean of exactly 9.0 is enough."""
    context = ctx(20, baseline=6, thresholds=Thresholds(worsening_relative=0.5))
    found = rules.mean_7d_trigger(series_of(pains, 10), day(16), context)
    assert (found is not None) is fires


@pytest.mark.parametrize(("established", "fires"), [(13, True), (14, False)])
def test_progression_waits_for_a_derived_baseline(established, fires):
    context = ctx(20, derived_on=established)
    found = rules.progression_ready(good_fortnight(last=16), day(13), context)
    assert (found is not None) is fires
