"""Table tests of each day rule of PRODUCT.md §4, at and around every threshold."""

from __future__ import annotations

import pytest

from server.flag_thresholds import DEFAULT_THRESHOLDS, Thresholds, merge_thresholds
from server.flags import rules
from server.flags.rules import Baseline, derive_baseline
from tests.flags.helpers import D0, ctx, day, facts, series_of


def fired(evidence) -> list[str]:
    return sorted(e.rule for e in evidence)


# --- thresholds -----------------------------------------------------------------------------


def test_programme_overrides_clinic_overrides_defaults():
    merged = merge_thresholds({"flare_rise": 3, "high_pain": 9}, {"flare_rise": 1.5})
    assert merged.flare_rise == 1.5
    assert merged.high_pain == 9
    assert merged.session_pain_limit == DEFAULT_THRESHOLDS.session_pain_limit


@pytest.mark.parametrize(
    "override",
    [{"nope": 1}, {"flare_rise": "2"}, {"flare_rise": -1}, {"flare_rise": True}, None],
)
def test_unusable_overrides_are_ignored(override):
    assert merge_thresholds(override) == DEFAULT_THRESHOLDS


def test_integer_thresholds_stay_integers():
    assert merge_thresholds({"settle_window_days": 4.0}).settle_window_days == 4
    assert isinstance(merge_thresholds({"settle_window_days": 4.0}).settle_window_days, int)


def test_evidence_records_the_thresholds_in_force():
    context = ctx(5, thresholds=Thresholds(flare_rise=3))
    entry = rules.Evidence("flare_up.daily_pain", day(5), {"daily_pain": 6}).as_dict(context)
    assert entry["thresholds"] == {"flare_rise": 3}
    assert entry["baseline"] == {"value": 3, "source": "therapist", "established_on": None}
    assert entry["key"] == f"flare_up.daily_pain:{day(5).isoformat()}"


# --- baseline -------------------------------------------------------------------------------


def test_baseline_missing_until_seven_days_with_data_then_the_median():
    six = [(day(n), pain) for n, pain in enumerate([2, 4, 3, 5, 3, 2])]
    assert derive_baseline(six) is None
    seven = [*six, (day(9), 6)]
    baseline = derive_baseline(list(reversed(seven)))
    assert baseline == Baseline(3.0, "derived", day(9))
    assert baseline.as_of(day(8)) is None
    assert baseline.as_of(day(9)) == 3.0


def test_derived_baseline_uses_only_the_first_seven_days():
    days = [(day(n), 1) for n in range(7)] + [(day(n), 9) for n in range(7, 20)]
    assert derive_baseline(days).value == 1.0


def test_therapist_baseline_applies_from_the_first_day():
    assert Baseline(4, "therapist").as_of(D0) == 4


# --- flare triggers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pain", "session_pain", "expected_rules"),
    [
        (4, None, []),  # baseline + 1
        (5, None, ["flare_up.daily_pain"]),  # exactly baseline + 2
        (4, 5, []),  # session pain exactly 5/10 is acceptable (Silbernagel)
        (6, 6, ["flare_up.daily_pain", "flare_up.session_pain"]),
    ],
)
def test_flare_daily_and_session_pain(pain, session_pain, expected_rules):
    series = {day(3): facts(3, pain, session_pain=session_pain)}
    assert fired(rules.flare_triggers(series, day(3), ctx(5))) == expected_rules


@pytest.mark.parametrize(
    ("exercised_before", "morning", "expected_rules"),
    [
        (True, 5, ["flare_up.daily_pain", "flare_up.next_morning"]),
        (True, 4, []),
        (False, 5, ["flare_up.daily_pain"]),
    ],
)
def test_flare_pain_not_settled_by_next_morning(exercised_before, morning, expected_rules):
    series = {
        day(2): facts(2, 3, exercised=exercised_before),
        day(3): facts(3, morning, morning_pain=morning),
    }
    assert fired(rules.flare_triggers(series, day(3), ctx(5))) == expected_rules


def test_without_a_baseline_only_session_pain_makes_a_flare():
    series = {day(3): facts(3, 9, session_pain=6)}
    context = ctx(5, derived_on=7)
    assert fired(rules.flare_triggers(series, day(3), context)) == ["flare_up.session_pain"]
    later = {day(8): facts(8, 9)}
    assert fired(rules.flare_triggers(later, day(8), context)) == ["flare_up.daily_pain"]


@pytest.mark.parametrize(
    ("start", "increases", "expected"),
    [
        (0, (), True),  # day 0 of the programme
        (14, (), True),  # exactly 14 days after the start
        (15, (), False),
        (30, (20,), True),  # 10 days after a progression
        (35, (20,), False),
    ],
)
def test_flare_expected_within_14_days_of_start_or_progression(start, increases, expected):
    assert rules.is_expected(day(start), ctx(40, increases=increases)) is expected


@pytest.mark.parametrize(
    ("pain", "state"), [(None, None), (4, "settled"), (5, "raised"), (2, "settled")]
)
def test_pain_state_against_baseline_plus_one(pain, state):
    series = series_of([pain], first=3)
    assert rules.pain_state(series, day(3), ctx(5)) == state


def test_session_pain_above_five_is_raised_even_when_daily_pain_looks_settled():
    series = {day(3): facts(3, 6, session_pain=6)}
    assert rules.pain_state(series, day(3), ctx(5, baseline=6)) == "raised"


# --- worsening ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pains", "baseline", "fires"),
    [
        ([5, 5, 5, 5, 5, 5, 5], 3, True),  # mean exactly baseline + 2 (and 67 % above)
        ([5, 5, 5, 5, 5, 5, 4], 3, False),  # mean 4.86
        ([10, 10, 10, 10, 10, 10, 10], 8, False),  # +2 but only 25 % above 8
        ([None, None, None, None, 6, 6, 6], 3, False),  # 3 days with data: too few
        ([None, None, None, 6, 6, 6, 6], 3, True),
    ],
)
def test_seven_day_mean_needs_two_points_and_thirty_percent(pains, baseline, fires):
    series = series_of(pains, first=10)
    found = rules.mean_7d_trigger(series, day(16), ctx(20, baseline=baseline))
    assert (found is not None) is fires


@pytest.mark.parametrize(
    ("previous", "last", "start", "fires"),
    [(1, 3, 0, True), (1, 2, 0, False), (0, 2, 7, True), (0, 2, 8, False)],
)
def test_headache_days_rise_by_two_week_on_week(previous, last, start, fires):
    series = {}
    for n in range(previous):
        series[day(7 + n)] = facts(7 + n, 4, headaches=1)
    for n in range(last):
        series[day(14 + n)] = facts(14 + n, 4, headaches=2)
    found = rules.headache_days_trigger(series, day(20), ctx(21, start=start))
    assert (found is not None) is fires


@pytest.mark.parametrize(
    ("weekly", "fires"),
    [((2, 3, 4), True), ((2, 3, 3), False), ((4, 3, 5), False), ((2, 2, 2), False)],
)
def test_morning_pain_rising_week_on_week_for_two_weeks(weekly, fires):
    series = {}
    for week, value in enumerate(weekly):
        for n in range(7 * week, 7 * week + 7):
            series[day(n)] = facts(n, value, morning_pain=value)
    found = rules.morning_rising_trigger(series, day(20), ctx(21))
    assert (found is not None) is fires


def test_morning_rising_needs_enough_ratings_each_week():
    series = {day(n): facts(n, 3, morning_pain=2 + n // 7) for n in range(21) if n % 7 < 2}
    assert rules.morning_rising_trigger(series, day(20), ctx(21)) is None


@pytest.mark.parametrize(("pain", "fires"), [(7, False), (8, True), (10, True)])
def test_high_pain_is_any_single_rating_of_eight(pain, fires):
    found = rules.high_pain_trigger(series_of([pain], first=4), day(4), ctx(5))
    assert (found is not None) is fires


# --- non-adherence --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("credit", "today", "expected_rules"),
    [
        (6.5, 6, ["non_adherence.low_adherence"]),  # 6.5 / 14 = 46 %
        (7.0, 6, []),  # exactly 50 %
        (6.5, 5, []),  # the programme has run 6 days only
    ],
)
def test_below_half_of_prescribed_sessions_over_seven_days(credit, today, expected_rules):
    series = {day(n): facts(n, 3, sessions_credit=credit / 7) for n in range(8)}
    assert fired(rules.non_adherence_triggers(series, day(today), ctx(10))) == expected_rules


@pytest.mark.parametrize(("quiet_days", "fires"), [(2, False), (3, True)])
def test_nothing_logged_for_three_days(quiet_days, fires):
    series = {day(n): facts(n, 3) for n in range(10 - quiet_days)}
    found = rules.non_adherence_triggers(series, day(9), ctx(12))
    assert ("non_adherence.nothing_logged" in fired(found)) is fires


def test_quiet_days_before_the_programme_do_not_count():
    assert rules.non_adherence_triggers({}, day(1), ctx(5)) == []


# --- progression ready ----------------------------------------------------------------------


def progression_series(**overrides) -> dict:
    series = {day(n): facts(n, 2, exertion_max=4) for n in range(14)}
    for n, fields in overrides.items():
        series[day(int(n[1:]))] = facts(int(n[1:]), **fields)
    return series


@pytest.mark.parametrize(
    ("overrides", "changes", "fires"),
    [
        ({}, (), True),
        ({"d5": {"pain": 4}}, (), False),  # pain above baseline 3
        ({"d5": {"pain": 3}}, (), True),  # exactly baseline
        ({"d5": {"pain": 2, "exertion_max": 6}}, (), False),
        ({"d5": {"pain": 2, "exertion_max": 5}}, (), True),
        (
            {
                "d5": {"pain": 2, "sessions_credit": 0.0},
                "d6": {"pain": 2, "sessions_credit": 0.0},
                "d7": {"pain": 2, "sessions_credit": 0.0},
                "d8": {"pain": 2, "sessions_credit": 0.5},
            },
            (),
            False,
        ),  # 20.5 / 28 = 73 %
        ({}, (3,), False),  # an intensity change inside the 14 days
    ],
)
def test_progression_ready_after_fourteen_good_days(overrides, changes, fires):
    series = progression_series(**overrides)
    found = rules.progression_ready(series, day(13), ctx(14, changes=changes))
    assert (found is not None) is fires


def test_progression_needs_enough_pain_data():
    series = {day(n): facts(n, 2 if n < 6 else None) for n in range(14)}
    assert rules.progression_ready(series, day(13), ctx(14)) is None
