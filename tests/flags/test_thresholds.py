"""Table tests of threshold resolution: programme, then clinic, then default, with sources."""

from __future__ import annotations

import pytest

from server.flag_thresholds import (
    DEFAULT_THRESHOLDS,
    LIMITS,
    THRESHOLD_NAMES,
    apply_overrides,
    resolve_thresholds,
    threshold_problem,
)


@pytest.mark.parametrize(
    ("clinic", "programme", "value", "source"),
    [
        (None, None, 8, "default"),
        ({}, {}, 8, "default"),
        ({"high_pain": 9}, None, 9, "clinic"),
        ({"high_pain": 9}, {}, 9, "clinic"),
        (None, {"high_pain": 7}, 7, "programme"),
        ({"high_pain": 9}, {"high_pain": 7}, 7, "programme"),
        ({"high_pain": 9}, {"flare_rise": 3}, 9, "clinic"),
        ({"high_pain": 99}, None, 8, "default"),  # out of range: ignored
        ({"high_pain": 9}, {"high_pain": 0}, 9, "clinic"),  # the programme's is unusable
        ({"high_pain": "9"}, None, 8, "default"),
        ({"high_pain": True}, None, 8, "default"),
        ({"high_pain": float("nan")}, None, 8, "default"),
    ],
)
def test_high_pain_comes_from_the_most_specific_usable_level(clinic, programme, value, source):
    resolved = resolve_thresholds(clinic=clinic, programme=programme)

    assert resolved.values.high_pain == value
    assert resolved.sources["high_pain"] == source


def test_each_threshold_is_resolved_on_its_own():
    resolved = resolve_thresholds(
        clinic={"flare_rise": 3, "silence_days": 5}, programme={"silence_days": 4}
    )

    assert (resolved.values.flare_rise, resolved.sources["flare_rise"]) == (3, "clinic")
    assert (resolved.values.silence_days, resolved.sources["silence_days"]) == (4, "programme")
    untouched = set(THRESHOLD_NAMES) - {"flare_rise", "silence_days"}
    assert {resolved.sources[name] for name in untouched} == {"default"}
    assert resolved.values.session_pain_limit == DEFAULT_THRESHOLDS.session_pain_limit


def test_integer_thresholds_stay_integers():
    resolved = resolve_thresholds(clinic={"settle_window_days": 4.0})

    assert resolved.values.settle_window_days == 4
    assert isinstance(resolved.values.settle_window_days, int)


def test_every_threshold_has_a_range_holding_its_default():
    assert set(LIMITS) == set(THRESHOLD_NAMES)
    for name in THRESHOLD_NAMES:
        low, high = LIMITS[name]
        assert low <= getattr(DEFAULT_THRESHOLDS, name) <= high, name


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("high_pain", 9, None),
        ("high_pain", 10, None),
        ("high_pain", 10.5, "Must be between 1 and 10."),
        ("high_pain", 0, "Must be between 1 and 10."),
        ("worsening_relative", 0.5, None),
        ("settle_window_days", 5, None),
        ("settle_window_days", 2.5, "Must be a whole number."),
        ("settle_window_days", "5", "Must be a number."),
        ("silence_days", False, "Must be a number."),
        ("pain_is_high", 9, "Not a flag threshold."),
    ],
)
def test_threshold_problems(name, value, problem):
    assert threshold_problem(name, value) == problem


@pytest.mark.parametrize(
    ("current", "changes", "expected"),
    [
        ({}, {"high_pain": 9}, {"high_pain": 9.0}),
        ({"high_pain": 9}, {"high_pain": None}, {}),
        ({"high_pain": 9}, {"flare_rise": 3}, {"flare_rise": 3.0, "high_pain": 9}),
        ({"high_pain": 9}, {"flare_rise": None}, {"high_pain": 9}),
        (None, {}, {}),
        ({"nope": 1, "high_pain": 9}, {}, {"high_pain": 9}),  # unusable stored keys are dropped
        ({}, {"settle_window_days": 4.0}, {"settle_window_days": 4}),
    ],
)
def test_apply_overrides_sets_removes_and_keeps(current, changes, expected):
    assert apply_overrides(current, changes) == expected


def test_evidence_shows_each_threshold_and_where_it_came_from():
    from datetime import date

    from server.flags.rules import Context, Evidence

    resolved = resolve_thresholds(clinic={"settle_margin": 2}, programme={"settle_window_days": 5})
    ctx = Context(
        today=date(2026, 6, 1), thresholds=resolved.values, threshold_sources=resolved.sources
    )

    entry = Evidence("flare_up.settled", date(2026, 6, 1)).as_dict(ctx)

    assert entry["thresholds"] == {"settle_margin": 2.0, "settle_window_days": 5}
    assert entry["threshold_sources"] == {
        "settle_margin": "clinic",
        "settle_window_days": "programme",
    }
