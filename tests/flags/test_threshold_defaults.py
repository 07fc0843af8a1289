"""The PRODUCT.md §4 defaults, pinned by what the rules decide: each probe sits on the edge of one
threshold, so its answer under the defaults is fixed, and nudging that default one step either
way changes it. A default edited in ``thresholds.py`` therefore fails here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from server.flag_thresholds import DEFAULT_THRESHOLDS, Thresholds
from server.flags import rules
from server.flags.episodes import flare_scan
from server.flags.outcomes import Outcome, not_improving_scan
from server.flags.rules import Baseline, Context
from tests.flags.helpers import ctx, day, facts, series_of


def with_thresholds(context: Context, thresholds: Thresholds) -> Context:
    return dataclasses.replace(context, thresholds=thresholds)


def fires(rule, series, n: int, context: Context) -> bool:
    found = rule(series, day(n), context)
    return bool(found)


def flare_rise(t: Thresholds):
    context = ctx(5, thresholds=t)
    return tuple(fires(rules.flare_triggers, {day(3): facts(3, p)}, 3, context) for p in (4, 5))


def session_pain_limit(t: Thresholds):
    context = ctx(5, thresholds=t)
    series = [{day(3): facts(3, 3, session_pain=p)} for p in (5, 6)]
    return tuple(fires(rules.flare_triggers, s, 3, context) for s in series)


def settle_margin(t: Thresholds):
    context = ctx(5, baseline=2.5, thresholds=t)
    return tuple(rules.pain_state({day(3): facts(3, p)}, day(3), context) for p in (3, 4))


def settle_window_days(t: Thresholds):
    outlines = []
    for pains in ([7, 6, 4, 4], [7, 6, 6, 6]):
        episodes, _ = flare_scan(series_of(pains), ctx(8, thresholds=t), day(0))
        outlines.append([(e.end, e.end_reason) for e in episodes])
    return tuple(map(tuple, outlines))


def expected_window_days(t: Thresholds):
    return tuple(rules.is_expected(day(n), ctx(40, thresholds=t)) for n in (14, 15))


def worsening_rise(t: Thresholds):
    context = ctx(20, thresholds=t)
    return tuple(fires(rules.mean_7d_trigger, series_of([p] * 7, 10), 16, context) for p in (5, 4))


def worsening_relative(t: Thresholds):
    context = ctx(20, baseline=7, thresholds=t)
    weeks = ([9] * 7, [9] * 6 + [10])  # means 9.0 and 9.14 around 7 × 1.3
    return tuple(fires(rules.mean_7d_trigger, series_of(w, 10), 16, context) for w in weeks)


def mean_min_days(t: Thresholds):
    context = ctx(20, thresholds=t)
    weeks = ([None] * 4 + [6] * 3, [None] * 3 + [6] * 4)
    return tuple(fires(rules.mean_7d_trigger, series_of(w, 10), 16, context) for w in weeks)


def headache_day_rise(t: Thresholds):
    found = []
    for last in (2, 3):
        series = {day(7): facts(7, 4, headaches=1)}
        series |= {day(14 + n): facts(14 + n, 4, headaches=1) for n in range(last)}
        found.append(fires(rules.headache_days_trigger, series, 20, ctx(21, thresholds=t)))
    return tuple(found)


def mornings(counts: tuple[int, int, int], values=(2, 3, 4)) -> dict:
    series = {}
    for week, (count, value) in enumerate(zip(counts, values, strict=True)):
        for n in range(7 * week, 7 * week + count):
            series[day(n)] = facts(n, value, morning_pain=value)
    return series


def morning_min_days(t: Thresholds):
    context = ctx(21, thresholds=t)
    cases = (mornings((2, 2, 2)), mornings((3, 3, 3)))
    return tuple(fires(rules.morning_rising_trigger, s, 20, context) for s in cases)


def morning_rise_min(t: Thresholds):
    context = ctx(21, thresholds=t)
    cases = (mornings((3, 3, 3), (2, 3, 4)), mornings((3, 3, 3), (2, 2, 2)))
    return tuple(fires(rules.morning_rising_trigger, s, 20, context) for s in cases)


def high_pain(t: Thresholds):
    context = ctx(5, thresholds=t)
    return tuple(fires(rules.high_pain_trigger, {day(4): facts(4, p)}, 4, context) for p in (7, 8))


def low_adherence(series: dict, n: int, context: Context) -> bool:
    found = rules.non_adherence_triggers(series, day(n), context)
    return "non_adherence.low_adherence" in [e.rule for e in found]


def adherence_min(t: Thresholds):
    context = ctx(10, thresholds=t)
    found = []
    for credit in (6.5, 7.0):  # of 14: 46 % and exactly 50 %
        series = {day(n): facts(n, 3, sessions_credit=credit / 7) for n in range(8)}
        found.append(low_adherence(series, 6, context))
    return tuple(found)


def adherence_window_days(t: Thresholds):
    series = {day(n): facts(n, 3, sessions_credit=0.0) for n in range(8)}
    return tuple(low_adherence(series, n, ctx(10, thresholds=t)) for n in (5, 6))


def silence_days(t: Thresholds):
    found = []
    for quiet in (2, 3):
        series = {day(n): facts(n, 3) for n in range(10 - quiet)}
        evidence = rules.non_adherence_triggers(series, day(9), ctx(12, thresholds=t))
        found.append("non_adherence.nothing_logged" in [e.rule for e in evidence])
    return tuple(found)


def fortnight(**fields) -> dict:
    values = {"sessions_due": 5, "sessions_credit": 5.0, "exertion_max": 4, **fields}
    return {day(n): facts(n, 2, **values) for n in range(16)}


def progression_days(t: Thresholds):
    return tuple(
        fires(rules.progression_ready, fortnight(), n, ctx(20, thresholds=t)) for n in (12, 13)
    )


def progression_adherence(t: Thresholds):
    found = []
    for extra in (0.5, 1.0):  # 55.5 / 70 = 79.3 % and 56 / 70 = 80 %
        series = fortnight(sessions_credit=4.0)
        series[day(0)] = facts(0, 2, sessions_due=5, sessions_credit=3.0 + extra, exertion_max=4)
        found.append(fires(rules.progression_ready, series, 13, ctx(14, thresholds=t)))
    return tuple(found)


def progression_max_exertion(t: Thresholds):
    found = []
    for exertion in (5, 6):
        series = fortnight()
        series[day(7)] = facts(7, 2, sessions_due=5, sessions_credit=5.0, exertion_max=exertion)
        found.append(fires(rules.progression_ready, series, 13, ctx(14, thresholds=t)))
    return tuple(found)


def progression_min_pain_days(t: Thresholds):
    found = []
    for pain_days in (6, 7):
        series = fortnight()
        for n in range(pain_days, 14):
            series[day(n)] = facts(n, None, sessions_due=5, sessions_credit=5.0)
        found.append(fires(rules.progression_ready, series, 13, ctx(14, thresholds=t)))
    return tuple(found)


def baseline_days(t: Thresholds):
    found = []
    for count in (6, 7):
        derived = rules.derive_baseline([(day(n), 2) for n in range(count)], t)
        found.append(derived == Baseline(2.0, "derived", day(count - 1)))
    return tuple(found)


def not_improving_weeks(t: Thresholds):
    start = day(0)
    followed = [
        Outcome("NDI", start, "a", 24, None, None, None, 7.5, "Young 2009"),
        Outcome("NDI", day(28), "b", 21, 24, 3, "no_meaningful_change", 7.5, "Young 2009"),
    ]
    return tuple(
        bool(
            not_improving_scan(followed, Context(today=day(n), programme_start=start, thresholds=t))
        )
        for n in (41, 42)
    )


# name: (one step, probe, its answer under the PRODUCT.md defaults)
PROBES: dict[str, tuple[float, Callable[[Thresholds], object], object]] = {
    "flare_rise": (1, flare_rise, (False, True)),
    "session_pain_limit": (1, session_pain_limit, (False, True)),
    "settle_margin": (1, settle_margin, ("settled", "raised")),
    "settle_window_days": (
        1,
        settle_window_days,
        (((day(3), "settled"),), ((day(3), "escalated"),)),
    ),
    "expected_window_days": (1, expected_window_days, (True, False)),
    "worsening_rise": (1, worsening_rise, (True, False)),
    "worsening_relative": (0.1, worsening_relative, (False, True)),
    "mean_min_days": (1, mean_min_days, (False, True)),
    "headache_day_rise": (1, headache_day_rise, (False, True)),
    "morning_min_days": (1, morning_min_days, (False, True)),
    "morning_rise_min": (1, morning_rise_min, (True, False)),
    "high_pain": (1, high_pain, (False, True)),
    "adherence_min": (0.1, adherence_min, (True, False)),
    "adherence_window_days": (1, adherence_window_days, (False, True)),
    "silence_days": (1, silence_days, (False, True)),
    "progression_days": (1, progression_days, (False, True)),
    "progression_adherence": (0.1, progression_adherence, (False, True)),
    "progression_max_exertion": (1, progression_max_exertion, (True, False)),
    "progression_min_pain_days": (1, progression_min_pain_days, (False, True)),
    "baseline_days": (1, baseline_days, (False, True)),
    "not_improving_weeks": (1, not_improving_weeks, (False, True)),
}


def test_every_threshold_has_a_probe():
    assert set(PROBES) == {f.name for f in dataclasses.fields(Thresholds)}


@pytest.mark.parametrize("name", sorted(PROBES))
def test_the_defaults_decide_each_probe_as_the_product_says(name):
    _, probe, expected = PROBES[name]
    assert probe(DEFAULT_THRESHOLDS) == expected


@pytest.mark.parametrize("direction", [1, -1])
@pytest.mark.parametrize("name", sorted(PROBES))
def test_each_default_nudged_one_step_changes_its_probe(name, direction):
    step, probe, expected = PROBES[name]
    nudged = getattr(DEFAULT_THRESHOLDS, name) + direction * step
    assert probe(dataclasses.replace(DEFAULT_THRESHOLDS, **{name: nudged})) != expected
