"""The episode scans: a temporary flare that settles versus one that becomes worsening, and the
self-ending non-adherence and progression-ready suggestions. Baseline 3 throughout: a settled day
has daily pain ≤ 4, a flare needs ≥ 5.
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.flags.episodes import evaluate, flare_scan, non_adherence_scan, progression_scan
from tests.budget import examples
from tests.flags.helpers import ctx, day, facts, series_of


def outline(episodes) -> list[tuple[date, date | None, str | None]]:
    return [(e.start, e.end, e.end_reason) for e in episodes]


@pytest.mark.parametrize(
    ("pains", "today", "expected"),
    [
        ([7, 4, 4], 5, [(0, 2, "settled")]),  # settles on day 2
        ([7, 6, 4, 4], 5, [(0, 3, "settled")]),  # settles on day 3: still within 72 h
        ([7, 6, 6, 6], 5, [(0, 3, "escalated")]),  # not settled after 72 h
        ([7, 6, 6, 4, 4], 6, [(0, 3, "escalated")]),  # lower by 72 h, but not settled twice
        ([6, 4, 6, 4, 4], 6, [(0, 3, "escalated")]),  # settled once, raised again: not settled
        ([7, 6, None, None], 6, [(0, 3, "escalated")]),  # raised after onset, then silence
        ([7, None, None, None, None], 6, [(0, None, None)]),  # missing data never escalates
        ([7, 6, None], 3, [(0, None, None)]),  # day 3 not over yet: wait
        ([7, 6, None, 4, 4], 6, [(0, 3, "escalated")]),  # raised after onset, not settled by 72 h
        ([7, 4, None, None, 4, 4], 7, [(0, 5, "settled_late")]),  # only settled or missing: wait
        ([7, 4, None, None, 6], 6, [(0, 4, "escalated")]),  # ... until it is raised again
        ([7, 4], 1, [(0, None, None)]),  # today's low rating may still be outdone today
        ([7, 4, 4], 2, [(0, None, None)]),
        ([7, 4, 4], 3, [(0, 2, "settled")]),
    ],
)
def test_flare_settles_or_escalates(pains, today, expected):
    episodes, escalations = flare_scan(series_of(pains), ctx(today), day(0))
    assert outline(episodes) == [
        (day(s), day(e) if e is not None else None, reason) for s, e, reason in expected
    ]
    escalated = [day(e) for _, e, reason in expected if reason == "escalated"]
    assert [e.day for e in escalations] == escalated
    assert all(e.rule == "worsening.unsettled_flare" for e in escalations)


def test_a_new_flare_can_start_after_one_ends():
    episodes, _ = flare_scan(series_of([7, 4, 4, 3, 8, 4, 4]), ctx(10), day(0))
    assert outline(episodes) == [(day(0), day(2), "settled"), (day(4), day(6), "settled")]


def test_settled_evidence_names_the_two_days():
    episodes, _ = flare_scan(series_of([7, 4, 3]), ctx(5), day(0))
    settled = [e for e in episodes[0].evidence if e.rule == "flare_up.settled"]
    assert settled[0].values == {
        "days": [day(1).isoformat(), day(2).isoformat()],
        "daily_pain": [4, 3],
    }


@pytest.mark.parametrize(
    ("flare_day", "increases", "expected"),
    [(10, (), True), (14, (), True), (20, (), False), (20, (15,), True), (30, (15,), False)],
)
def test_flare_inside_versus_outside_the_14_day_window(flare_day, increases, expected):
    pains = [3] * flare_day + [7, 3, 3]
    episodes, _ = flare_scan(series_of(pains), ctx(flare_day + 5, increases=increases), day(0))
    assert [e.expected for e in episodes] == [expected]


def test_flare_before_the_baseline_exists_settles_against_the_silbernagel_limit():
    series = {day(0): facts(0, 6, session_pain=6), day(1): facts(1, 5), day(2): facts(2, 4)}
    episodes, _ = flare_scan(series, ctx(5, derived_on=10), day(0))
    assert outline(episodes) == [(day(0), day(2), "settled")]


def test_non_adherence_opens_after_three_quiet_days_and_ends_when_back():
    series = {day(n): facts(n, 3) for n in range(10)}
    series[day(13)] = facts(13, 3)
    episodes = non_adherence_scan(series, ctx(15), day(0))
    assert outline(episodes) == [(day(12), day(13), "back_above_threshold")]
    assert [e.rule for e in episodes[0].evidence] == ["non_adherence.nothing_logged"]


def test_nothing_is_owed_after_the_programme_ended():
    """A discharged patient stops logging: no non-adherence, and an open one closes."""
    series = {day(n): facts(n, 3) for n in range(10)}
    assert non_adherence_scan(series, ctx(20, end=9), day(0)) == []
    episodes = non_adherence_scan(series, ctx(20, end=13), day(0))
    assert outline(episodes) == [(day(12), day(13), "programme_ended")]
    # Ended today: the open episode closes at once, not after the next complete day.
    assert outline(non_adherence_scan(series, ctx(14, end=14), day(0))) == [
        (day(12), day(14), "programme_ended")
    ]
    still_running = non_adherence_scan(series, ctx(14, end=15), day(0))
    assert outline(still_running) == [(day(12), None, None)]


def test_progression_is_not_suggested_after_the_programme_ended():
    series = {day(n): facts(n, 2, exertion_max=3) for n in range(20)}
    assert progression_scan(series, ctx(18, end=12), day(0)) == []
    episodes = progression_scan(series, ctx(18, end=14), day(0))
    assert outline(episodes) == [(day(13), day(14), "programme_ended")]


def test_non_adherence_is_only_judged_on_complete_days():
    series = {day(n): facts(n, 3) for n in range(10)}
    assert non_adherence_scan(series, ctx(12), day(0)) == []  # days 10, 11 and today 12


@pytest.mark.parametrize(
    ("later", "changes", "expected_end"),
    [
        ({}, (16,), (16, "intensity_changed")),
        ({15: 4}, (), (15, "pain_above_baseline")),
        ({15: 3}, (), (None, None)),
    ],
)
def test_progression_ready_lasts_until_the_next_intensity_change(later, changes, expected_end):
    series = {day(n): facts(n, 2, exertion_max=3) for n in range(15)}
    for n, pain in later.items():
        series[day(n)] = facts(n, pain)
    episodes = progression_scan(series, ctx(18, changes=changes), day(0))
    end, reason = expected_end
    assert outline(episodes) == [(day(13), day(end) if end else None, reason)]


def test_evaluate_gathers_every_rule():
    series = series_of([9, 9, 9, 9, 9, 9, 9, 9])
    findings = evaluate(series, ctx(8), day(0))
    assert {e.type for e in findings.episodes} == {"flare_up"}
    assert {e.rule for e in findings.triggers["worsening"]} == {
        "worsening.mean_7d",
        "worsening.unsettled_flare",
    }
    assert len(findings.triggers["high_pain"]) == 8


pain_days = st.lists(st.one_of(st.none(), st.integers(0, 10)), min_size=1, max_size=24)


@settings(max_examples=examples(150), deadline=None)
@given(pains=pain_days, wait=st.integers(1, 6))
def test_decisions_are_final_as_time_passes_without_new_data(pains, wait):
    """An episode that ended stays ended the same way when only the clock moves on."""
    series = series_of(pains)
    today = len(pains)
    early = evaluate(series, ctx(today), day(0))
    late = evaluate(series, ctx(today + wait), day(0))
    ended = [outline([e])[0] for e in early.episodes if e.end is not None]
    later = {outline([e])[0] for e in late.episodes}
    assert set(ended) <= later
    assert {e.key for e in early.triggers["worsening"]} <= {
        e.key for e in late.triggers["worsening"]
    }


calm_days = st.lists(st.one_of(st.none(), st.integers(0, 4)), max_size=20)


@settings(max_examples=examples(150), deadline=None)
@given(calm=calm_days, gap=st.integers(1, 10))
def test_missing_data_alone_never_escalates(calm, gap):
    """A flare followed only by missing days stays open, however long the silence."""
    series = series_of([*calm, 9])
    flare_start = len(calm)
    episodes, escalations = flare_scan(series, ctx(flare_start + gap), day(0))
    assert escalations == []
    assert outline(episodes) == [(day(flare_start), None, None)]
