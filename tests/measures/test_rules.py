"""Pure scoring of outcome measures, from worked examples and properties: NDI (with its
missing-item rule), PSFS, GROC and HIT-6 as ``seed/measures`` defines them; the change from
baseline and its interpretation by the MCID; the administrations a schedule makes due."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from server.measures import rules
from server.measures.library_schemas import MeasureIn
from server.measures.rules import (
    IMPROVED,
    NO_CHANGE,
    WORSENED,
    ScoringError,
    band_of,
    change_from_baseline,
    interpret,
    score_response,
)
from tests.budget import examples

SEED = Path(__file__).resolve().parents[2] / "seed" / "measures"
DEFINITIONS = {
    data["code"]: data
    for data in (MeasureIn().load(yaml.safe_load(p.read_text("utf-8"))) for p in SEED.glob("*"))
}
NDI, PSFS, GROC, HIT6 = (DEFINITIONS[code] for code in ("NDI", "PSFS", "GROC", "HIT-6"))
NDI_KEYS = [item["key"] for item in NDI["items"]]
HIT6_KEYS = [item["key"] for item in HIT6["items"]]
HIT6_SCORES = {1: 6, 2: 8, 3: 10, 4: 11, 5: 13}  # the value sent → its score


def ndi(*values: int | None) -> list[dict[str, Any]]:
    """NDI answers in item order; None leaves that item out."""
    return [{"item": k, "value": v} for k, v in zip(NDI_KEYS, values, strict=True) if v is not None]


def hit6(*values: int) -> list[dict[str, Any]]:
    return [{"item": k, "value": v} for k, v in zip(HIT6_KEYS, values, strict=True)]


def psfs(*ratings: int, names: bool = True) -> list[dict[str, Any]]:
    return [
        {"item": f"activity_{n}", "value": r, **({"activity": f"Task {n}"} if names else {})}
        for n, r in enumerate(ratings, start=1)
    ]


BASELINE_TASKS = {"activity_1": "Task 1", "activity_2": "Task 2", "activity_3": "Task 3"}


# --- worked examples -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "score", "percent", "band", "prorated"),
    [
        ((0,) * 10, 0.0, 0.0, "none", False),
        ((5,) * 10, 50.0, 100.0, "complete", False),
        ((3, 3, 2, 2, 3, 2, 3, 2, 2, 2), 24.0, 48.0, "moderate", False),  # the baseline
        ((2, 1, 1, 1, 2, 1, 2, 2, 1, 1), 14.0, 28.0, "mild", False),  # … and four weeks later
        ((1, 1, 1, 1, 0, 0, 0, 0, 0, 0), 4.0, 8.0, "none", False),  # 4: the top of "none"
        ((1, 1, 1, 1, 1, 0, 0, 0, 0, 0), 5.0, 10.0, "mild", False),  # 5: mild begins
        ((5, 5, 5, 5, 5, 5, 5, 0, 0, 0), 35.0, 70.0, "complete", False),
        # Driving left out: 22 of 45 points → 22 × 50 / 45 = 24.44… → 24.4 (still moderate).
        ((3, 3, 2, 2, 3, 2, 3, None, 2, 2), 24.4, 48.9, "moderate", True),
        # 24 of 45 → 26.66… → 26.7, 53.3 % (crosses into severe).
        ((3, 3, 2, 2, 3, 2, 3, None, 3, 3), 26.7, 53.3, "severe", True),
        ((5, 5, 5, 5, 5, 5, 5, None, 5, 5), 50.0, 100.0, "complete", True),
    ],
)
def test_ndi_worked_examples(values, score, percent, band, prorated) -> None:
    scored = score_response(NDI, ndi(*values))
    assert (scored.score, scored.percent, scored.band, scored.prorated) == (
        score,
        percent,
        band,
        prorated,
    )


def test_ndi_with_two_unanswered_items_is_refused_naming_them() -> None:
    with pytest.raises(ScoringError) as refused:
        score_response(NDI, ndi(3, 3, 2, 2, 3, 2, 3, None, None, 2))
    assert refused.value.errors == {
        "answers": [
            "Unanswered items: driving, sleeping (2); at most 1 may be left unanswered, so this "
            "response cannot be scored."
        ]
    }


def test_an_unanswered_item_may_be_sent_as_null() -> None:
    answers = ndi(3, 3, 2, 2, 3, 2, 3, 2, 2, 2)
    answers[7]["value"] = None
    assert score_response(NDI, answers).score == 24.4


@pytest.mark.parametrize(
    ("values", "total", "band"),
    [
        ((1,) * 6, 36.0, "little_or_none"),
        ((2,) * 6, 48.0, "little_or_none"),
        ((5, 3, 2, 1, 1, 1), 49.0, "little_or_none"),  # the top of the first band
        ((3, 2, 2, 2, 2, 2), 50.0, "some"),
        ((3, 3, 3, 2, 2, 1), 52.0, "some"),
        ((5, 3, 2, 2, 2, 2), 55.0, "some"),
        ((3, 3, 3, 3, 2, 2), 56.0, "substantial"),
        ((4, 3, 3, 3, 3, 2), 59.0, "substantial"),
        ((3,) * 6, 60.0, "severe"),
        ((3, 3, 3, 3, 3, 4), 61.0, "severe"),
        ((5,) * 6, 78.0, "severe"),
    ],
)
def test_hit6_worked_examples(values, total, band) -> None:
    assert sum(HIT6_SCORES[v] for v in values) == total  # the table itself is right
    scored = score_response(HIT6, hit6(*values))
    assert (scored.score, scored.band, scored.percent) == (total, band, None)


def test_hit6_needs_every_question() -> None:
    with pytest.raises(ScoringError) as refused:
        score_response(HIT6, hit6(3, 3, 3, 3, 3, 3)[:5])
    assert "Unanswered items: concentration (1); at most 0" in refused.value.errors["answers"][0]


@pytest.mark.parametrize(
    ("ratings", "score"),
    [((3, 4, 4), 3.7), ((0, 0, 0), 0.0), ((10, 10, 10, 10, 10), 10.0), ((2, 5, 7, 4), 4.5)],
)
def test_psfs_is_the_mean_of_the_named_activities(ratings, score) -> None:
    scored = score_response(PSFS, psfs(*ratings))
    assert (scored.score, scored.band, scored.prorated) == (score, None, False)
    assert [a["activity"] for a in scored.answers] == [
        f"Task {n}" for n in range(1, len(ratings) + 1)
    ]


def test_psfs_needs_three_named_activities_at_baseline() -> None:
    with pytest.raises(ScoringError) as refused:
        score_response(PSFS, psfs(3, 4))
    assert refused.value.errors == {"answers": ["Name and rate at least 3 activities."]}
    with pytest.raises(ScoringError) as unnamed:
        score_response(PSFS, psfs(3, 4, 5, names=False))
    assert unnamed.value.errors["answers"][0] == "0.activity: Name the activity you rate."


def test_psfs_later_responses_rate_the_same_activities() -> None:
    later = score_response(PSFS, psfs(6, 6, 7, names=False), baseline_activities=BASELINE_TASKS)
    assert later.score == 6.3
    assert [a["activity"] for a in later.answers] == ["Task 1", "Task 2", "Task 3"]
    # Named again, in other case and spacing: still the same activity.
    again = [{"item": "activity_1", "value": 5, "activity": " task  1"}, *psfs(0, 6, 7)[1:]]
    assert score_response(PSFS, again, baseline_activities=BASELINE_TASKS).score == 6.0
    for answers, message in [
        (psfs(6, 6, names=False), "Rate the same activities as at baseline: activity_1, "),
        (psfs(6, 6, 7, 7, names=False), "3.item: Not an activity named at baseline."),
        (
            [{"item": "activity_1", "value": 5, "activity": "Swimming"}, *psfs(0, 6, 7)[1:]],
            "0.activity: Not the activity named at baseline for this item.",
        ),
    ]:
        with pytest.raises(ScoringError) as refused:
            score_response(PSFS, answers, baseline_activities=BASELINE_TASKS)
        assert refused.value.errors["answers"][0].startswith(message)


@pytest.mark.parametrize(
    ("value", "band", "interpretation"),
    [
        (7, "better", IMPROVED),
        (3, "better", IMPROVED),
        (2, "about_the_same", NO_CHANGE),
        (0, "about_the_same", NO_CHANGE),
        (-2, "about_the_same", NO_CHANGE),
        (-3, "worse", WORSENED),
        (-7, "worse", WORSENED),
    ],
)
def test_groc_is_itself_a_change_improved_from_plus_three(value, band, interpretation) -> None:
    scored = score_response(GROC, [{"item": "overall_change", "value": value}])
    assert (scored.score, scored.band) == (value, band)
    assert change_from_baseline("change_score", scored.score, 1.0, 0) is None
    assert interpret("change_score", 3, scored.score, None) == interpretation


@pytest.mark.parametrize(
    ("direction", "mcid", "baseline", "score", "change", "interpretation"),
    [
        ("lower_is_better", 7.5, 24.0, 14.0, 10.0, IMPROVED),  # the NDI example
        ("lower_is_better", 7.5, 24.0, 16.5, 7.5, IMPROVED),  # exactly the MCID
        ("lower_is_better", 7.5, 24.0, 16.6, 7.4, NO_CHANGE),
        ("lower_is_better", 7.5, 24.0, 17.0, 7.0, NO_CHANGE),
        ("lower_is_better", 7.5, 24.0, 32.0, -8.0, WORSENED),
        ("lower_is_better", 7.5, 24.4, 31.9, -7.5, WORSENED),
        ("lower_is_better", 6, 66.0, 60.0, 6.0, IMPROVED),  # HIT-6
        ("lower_is_better", 6, 66.0, 61.0, 5.0, NO_CHANGE),
        ("lower_is_better", 6, 60.0, 66.0, -6.0, WORSENED),
        ("higher_is_better", 2.0, 3.7, 5.7, 2.0, IMPROVED),  # PSFS
        ("higher_is_better", 2.0, 3.7, 5.6, 1.9, NO_CHANGE),
        ("higher_is_better", 2.0, 5.0, 3.0, -2.0, WORSENED),
        ("lower_is_better", 7.5, 24.0, 24.0, 0.0, NO_CHANGE),
    ],
)
def test_change_is_positive_when_better_and_judged_by_the_mcid(
    direction, mcid, baseline, score, change, interpretation
) -> None:
    found = change_from_baseline(direction, score, baseline, 1)
    assert found == change
    assert interpret(direction, mcid, score, found) == interpretation


def test_the_baseline_itself_has_no_change_and_no_interpretation() -> None:
    assert change_from_baseline("lower_is_better", 24.0, None, 1) is None
    assert interpret("lower_is_better", 7.5, 24.0, None) is None


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [("2.25", 1, 2.3), ("26.65", 1, 26.7), ("24.444", 1, 24.4), ("2.5", 0, 3.0), ("-2.5", 0, -3.0)],
)
def test_rounding_is_half_up_not_bankers(value, places, expected) -> None:
    assert rules.rounded(Decimal(value), places) == expected


def test_bands_are_found_by_their_lower_bounds() -> None:
    bands = NDI["bands"]
    assert [band_of(bands, s) for s in (0, 4.9, 5, 14.9, 15, 24.9, 25, 34.9, 35, 50)] == [
        "none",
        "none",
        "mild",
        "mild",
        "moderate",
        "moderate",
        "severe",
        "severe",
        "complete",
        "complete",
    ]
    assert band_of([], 3.0) is None


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ([{"item": "pain_intensity", "value": 6}], "0.value: Not one of this item's answers: 0, 1"),
        ([{"item": "pain_intensity", "value": -1}], "0.value: Not one of this item's answers"),
        ([{"item": "posture", "value": 1}], "0.item: Unknown item."),
        (
            [{"item": "pain_intensity", "value": 1, "activity": "Reading"}],
            "0.activity: Only an activity the patient names takes a name.",
        ),
    ],
)
def test_answers_outside_the_measure_are_refused(answers, message) -> None:
    with pytest.raises(ScoringError) as refused:
        score_response(NDI, answers + ndi(0, 0, 0, 0, 0, 0, 0, 0, 0, 0)[1:])
    assert refused.value.errors["answers"][0].startswith(message)


# --- properties ----------------------------------------------------------------------------

NDI_VALUE = st.integers(0, 5)
ndi_full = st.lists(NDI_VALUE, min_size=10, max_size=10)


@st.composite
def ndi_with_gaps(draw: st.DrawFn, gaps: int) -> list[int | None]:
    values: list[int | None] = list(draw(ndi_full))
    for index in draw(st.lists(st.integers(0, 9), min_size=gaps, max_size=gaps, unique=True)):
        values[index] = None
    return values


@settings(max_examples=examples(200))
@given(values=st.one_of(ndi_full, ndi_with_gaps(1)))
def test_ndi_stays_in_range_and_its_percentage_is_twice_the_score(values) -> None:
    scored = score_response(NDI, ndi(*values))
    assert 0 <= scored.score <= 50
    assert abs(scored.percent - 2 * scored.score) <= 0.1 + 1e-9
    assert scored.band == band_of(NDI["bands"], scored.score)


@settings(max_examples=examples(200))
@given(values=ndi_with_gaps(1))
def test_one_missing_ndi_item_is_scaled_from_the_45_points_answered(values) -> None:
    total = sum(v for v in values if v is not None)
    expected = rules.rounded(Decimal(total) * 50 / 45, 1)
    scored = score_response(NDI, ndi(*values))
    assert (scored.score, scored.prorated) == (expected, True)


@settings(max_examples=examples(100))
@given(gaps=st.integers(2, 9), data=st.data())
def test_two_or_more_missing_ndi_items_are_never_scored(gaps, data) -> None:
    values = data.draw(ndi_with_gaps(gaps))
    with pytest.raises(ScoringError) as refused:
        score_response(NDI, ndi(*values))
    assert f"({gaps}); at most 1 may be left unanswered" in refused.value.errors["answers"][0]


@settings(max_examples=examples(200))
@given(values=st.one_of(ndi_full, ndi_with_gaps(1)), index=st.integers(0, 9))
def test_a_worse_answer_never_lowers_the_ndi(values, index) -> None:
    if values[index] is None or values[index] == 5:
        return
    worse = list(values)
    worse[index] += 1
    assert score_response(NDI, ndi(*worse)).score >= score_response(NDI, ndi(*values)).score


@settings(max_examples=examples(200))
@given(values=st.lists(st.integers(1, 5), min_size=6, max_size=6), index=st.integers(0, 5))
def test_hit6_stays_in_36_to_78_and_rises_with_each_answer(values, index) -> None:
    scored = score_response(HIT6, hit6(*values))
    assert 36 <= scored.score <= 78
    assert scored.score == sum(HIT6_SCORES[v] for v in values)
    expected = (
        "little_or_none"
        if scored.score <= 49
        else "some"
        if scored.score <= 55
        else "substantial"
        if scored.score <= 59
        else "severe"
    )
    assert scored.band == expected
    if values[index] < 5:
        worse = [*values[:index], values[index] + 1, *values[index + 1 :]]
        assert score_response(HIT6, hit6(*worse)).score > scored.score


@settings(max_examples=examples(200))
@given(ratings=st.lists(st.integers(0, 10), min_size=3, max_size=5), index=st.integers(0, 4))
def test_psfs_stays_in_0_to_10_and_rises_with_each_rating(ratings, index) -> None:
    scored = score_response(PSFS, psfs(*ratings))
    assert 0 <= scored.score <= 10
    assert scored.score == rules.rounded(Decimal(sum(ratings)) / len(ratings), 1)
    if index < len(ratings) and ratings[index] < 10:
        better = [*ratings[:index], ratings[index] + 1, *ratings[index + 1 :]]
        assert score_response(PSFS, psfs(*better)).score >= scored.score


@settings(max_examples=examples(200))
@given(
    code=st.sampled_from(["NDI", "HIT-6", "GROC"]),
    index=st.integers(0, 9),
    value=st.integers(-100, 100),
)
def test_an_answer_outside_the_options_is_refused(code, index, value) -> None:
    definition = DEFINITIONS[code]
    items = definition["items"]
    item = items[index % len(items)]
    if value in {option["value"] for option in item["options"]}:
        return
    answers = [{"item": i["key"], "value": i["options"][0]["value"]} for i in items]
    answers[index % len(items)]["value"] = value
    with pytest.raises(ScoringError) as refused:
        score_response(definition, answers)
    assert refused.value.errors["answers"][0].startswith(
        f"{index % len(items)}.value: Not one of this item's answers"
    )


@settings(max_examples=examples(200))
@given(
    direction=st.sampled_from(["lower_is_better", "higher_is_better"]),
    baseline=st.integers(0, 500).map(lambda n: n / 10),
    score=st.integers(0, 500).map(lambda n: n / 10),
)
def test_improved_exactly_when_the_change_reaches_the_mcid(direction, baseline, score) -> None:
    change = change_from_baseline(direction, score, baseline, 1)
    better = baseline - score if direction == "lower_is_better" else score - baseline
    assert change == pytest.approx(better)
    verdict = interpret(direction, 7.5, score, change)
    assert (verdict == IMPROVED) == (change >= 7.5)
    assert (verdict == WORSENED) == (change <= -7.5)


# --- administrations -----------------------------------------------------------------------

SCHEDULE = uuid.UUID("00000000-0000-4000-8000-000000000001")
START = date(2026, 1, 5)


def dues(**kwargs: Any) -> list[tuple[str, date]]:
    found = rules.administrations(SCHEDULE, start=START, **kwargs)
    return [(a.occasion, a.due) for a in found]


def test_administrations_at_the_start_every_four_weeks_and_at_the_end() -> None:
    end = START + timedelta(weeks=10)
    assert dues(end=end, at_start=True, every_weeks=4, at_end=True) == [
        ("start", START),
        ("periodic", START + timedelta(weeks=4)),
        ("periodic", START + timedelta(weeks=8)),
        ("end", end),
    ]


def test_a_periodic_administration_on_the_end_date_is_the_ends() -> None:
    end = START + timedelta(weeks=8)
    assert dues(end=end, at_start=False, every_weeks=4, at_end=True) == [
        ("periodic", START + timedelta(weeks=4)),
        ("end", end),
    ]
    assert dues(end=end, at_start=False, every_weeks=4, at_end=False)[-1] == ("periodic", end)


def test_a_running_programme_has_no_end_administration_yet_and_periodic_ones_go_on() -> None:
    found = rules.administrations(
        SCHEDULE, start=START, end=None, at_start=True, every_weeks=2, at_end=True
    )
    first = [next(found) for _ in range(30)]
    assert first[-1].due == START + timedelta(weeks=58)
    assert {a.occasion for a in first} == {"start", "periodic"}


def test_nothing_falls_due_after_the_schedule_was_removed() -> None:
    stopped = START + timedelta(weeks=5)
    end = START + timedelta(weeks=12)
    assert dues(end=end, at_start=True, every_weeks=4, at_end=True, stopped=stopped) == [
        ("start", START),
        ("periodic", START + timedelta(weeks=4)),
    ]


def test_edge_dates_give_one_administration_per_date() -> None:
    assert dues(end=START, at_start=True, every_weeks=None, at_end=True) == [("start", START)]
    # Replaced before it began: its end lies before its start, so nothing is due.
    before = START - timedelta(days=1)
    assert dues(end=before, at_start=True, every_weeks=1, at_end=True) == []


def test_an_administration_is_answerable_for_its_window_and_keeps_its_id() -> None:
    (first,) = rules.administrations(
        SCHEDULE, start=START, end=None, at_start=True, every_weeks=None, at_end=False
    )
    assert (first.due, first.closes) == (START, START + timedelta(days=6))
    assert [first.answerable_on(START + timedelta(days=d)) for d in (-1, 0, 6, 7)] == [
        False,
        True,
        True,
        False,
    ]
    assert first.id == rules.administration(SCHEDULE, "start", START, 3).id  # date decides
    assert first.id != rules.administration(uuid.uuid4(), "start", START, 7).id


def test_a_rated_items_bounds_and_choices_are_its_scale() -> None:
    item = {"key": "activity", "scale": {"min": 2, "max": 9}}
    assert rules.item_bounds(item) == (Decimal(2), Decimal(9))
    assert rules.choices(item) == "2 to 9"
    assert rules.choices(NDI["items"][0]) == "0, 1, 2, 3, 4, 5"


def test_periodic_administrations_step_by_their_weeks_and_name_their_schedule() -> None:
    schedule = uuid.uuid4()
    found = list(
        rules.administrations(
            schedule,
            start=date(2026, 1, 5),
            end=date(2026, 2, 2),
            at_start=False,
            every_weeks=2,
            at_end=False,
        )
    )
    assert [(a.occasion, a.due) for a in found] == [
        (rules.PERIODIC, date(2026, 1, 19)),
        (rules.PERIODIC, date(2026, 2, 2)),
    ]
    assert [a.id for a in found] == [
        rules.administration(schedule, rules.PERIODIC, a.due, 7).id for a in found
    ]
    assert found[0].closes == date(2026, 1, 25)


def test_the_stored_answers_keep_each_items_value_and_a_percentage_counts_from_the_minimum() -> (
    None
):
    answers = [{"item": k, "value": v} for k, v in zip(HIT6_KEYS, (1, 2, 3, 4, 5, 1), strict=True)]
    scored = rules.score_response(HIT6, answers)
    assert scored.answers == [{**answer, "activity": None} for answer in answers]
    # HIT-6 reports no percentage; were it to, 36–78 would run from 0 % to 100 %.
    with_percent = {**HIT6, "scoring": {**HIT6["scoring"], "percent": True}}
    lowest = [{"item": k, "value": 1} for k in HIT6_KEYS]
    highest = [{"item": k, "value": 5} for k in HIT6_KEYS]
    assert rules.score_response(with_percent, lowest).percent == 0.0
    assert rules.score_response(with_percent, highest).percent == 100.0
    assert rules.score_response(with_percent, answers).percent == 43.0  # (54 − 36) / 42, 0 places


def test_every_bad_answer_is_named_and_a_named_activity_needs_a_rating() -> None:
    with pytest.raises(ScoringError) as refused:
        score_response(
            NDI,
            [
                {"item": "nope", "value": 1},
                {"item": "lifting", "value": 1},
                {"item": "lifting", "value": 2},
                {"item": "also_nope", "value": 1},
            ],
        )
    assert refused.value.errors["answers"][:3] == [
        "0.item: Unknown item.",
        "2.item: Answered twice.",
        "3.item: Unknown item.",
    ]
    unrated = [*psfs(3, 4, 5), {"item": "activity_4", "value": None, "activity": "Driving"}]
    with pytest.raises(ScoringError) as named:
        score_response(PSFS, unrated)
    assert named.value.errors == {"answers": ["3.value: Rate the activity you name."]}
    left_out = [*psfs(3, 4, 5), {"item": "activity_4", "value": None}]
    assert score_response(PSFS, left_out).score == 4.0
    assert rules.item_score({"scale": {"min": 0, "max": 10}}, 11) is None


def test_the_end_administration_on_the_start_day_or_the_day_the_schedule_stopped() -> None:
    schedule = uuid.uuid4()
    day = date(2026, 1, 5)
    only_end = {"at_start": False, "every_weeks": None, "at_end": True}
    (found,) = rules.administrations(schedule, start=day, end=day, **only_end)
    assert (found.occasion, found.due, found.id) == (
        rules.END,
        day,
        rules.administration(schedule, rules.END, day, 7).id,
    )
    later = day + timedelta(days=20)
    stopped_then = rules.administrations(schedule, start=day, end=later, stopped=later, **only_end)
    assert [a.occasion for a in stopped_then] == [rules.END]


def test_without_a_minimum_one_named_activity_is_enough() -> None:
    any_number = {**PSFS, "scoring": {**PSFS["scoring"], "min_answered": None}}
    assert score_response(any_number, psfs(6)).score == 6.0
