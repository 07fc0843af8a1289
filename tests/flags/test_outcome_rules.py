"""The outcome scans (``server/flags/outcomes.py``) on plain values: when ``outcome_worsened``
and ``not_improving`` episodes open and end."""

from __future__ import annotations

from datetime import date, timedelta

from server.flag_thresholds import DEFAULT_THRESHOLDS, Thresholds
from server.flags.outcomes import Outcome, not_improving_scan, outcome_episodes, worsened_scan
from server.flags.rules import Context

START = date(2026, 3, 2)


def outcome(n: int, interpretation: str | None, measure: str = "NDI", score: float = 20) -> Outcome:
    return Outcome(
        measure=measure,
        day=START + timedelta(days=n),
        response_id=f"{measure}-{n}",
        score=score,
        baseline_score=None if interpretation is None else 24,
        change=None if interpretation is None else 24 - score,
        interpretation=interpretation,
        mcid=7.5,
        mcid_citation="Young 2009",
    )


def ctx(today: int, **fields) -> Context:
    return Context(today=START + timedelta(days=today), programme_start=START, **fields)


def test_worsened_opens_while_a_measure_is_worse_and_ends_when_none_is() -> None:
    outcomes = [
        outcome(0, None),
        outcome(10, "worsened", score=32),
        outcome(12, None, measure="HIT-6"),
        outcome(20, "worsened", measure="HIT-6"),
        outcome(24, "no_meaningful_change", score=26),  # NDI back; HIT-6 still worse
        outcome(30, "improved", measure="HIT-6"),
    ]
    (episode,) = worsened_scan(outcomes, ctx(40))
    assert (episode.start, episode.end, episode.end_reason) == (
        START + timedelta(days=10),
        START + timedelta(days=30),
        "no_longer_worsened",
    )
    assert [e.key for e in episode.evidence] == [
        "outcome_worsened.by_mcid:2026-03-12:NDI",
        "outcome_worsened.by_mcid:2026-03-22:HIT-6",
    ]
    # An episode that ended before the window is stored already; an ongoing one always counts.
    assert outcome_episodes(outcomes, ctx(40), START + timedelta(days=31)) == []
    assert worsened_scan(outcomes[:2], ctx(40))[0].end is None


def test_not_improving_from_week_six_until_a_measure_improves() -> None:
    outcomes = [outcome(0, None), outcome(28, "no_meaningful_change", score=22)]
    assert not_improving_scan(outcomes, ctx(41)) == []  # week 6 not reached
    (episode,) = not_improving_scan(outcomes, ctx(45))
    assert (episode.start, episode.end) == (START + timedelta(weeks=6), None)
    (evidence,) = episode.evidence
    assert evidence.rule == "not_improving.no_meaningful_change"
    assert evidence.values["measures"][0]["interpretation"] == "no_meaningful_change"
    later = [*outcomes, outcome(50, "improved", score=14)]
    (episode,) = not_improving_scan(later, ctx(55))
    assert (episode.end, episode.end_reason) == (START + timedelta(days=50), "improved")
    # Improved by week 6, or only a baseline: nothing to flag.
    assert not_improving_scan([outcome(0, None), outcome(28, "improved")], ctx(60)) == []
    assert not_improving_scan([outcome(0, None)], ctx(60)) == []
    # A threshold moves the week; the programme's end closes the episode.
    eight = Thresholds(**{**DEFAULT_THRESHOLDS.as_dict(), "not_improving_weeks": 8})
    assert not_improving_scan(outcomes, ctx(45, thresholds=eight)) == []
    ended = not_improving_scan(outcomes, ctx(60, programme_end=START + timedelta(days=50)))
    assert ended[0].end_reason == "programme_ended"


def test_an_outcome_from_the_measures_view_and_back_as_evidence_values() -> None:
    view = {
        "id": "3f0c7a52-3c1e-4f5e-9a57-1d2b8c3e4f01",
        "measure": "NDI",
        "local_date": START,
        "score": 32.0,
        "baseline_score": 24.0,
        "change": -8.0,
        "interpretation": "worsened",
        "mcid": 7.5,
        "mcid_citation": "Young 2009",
    }
    found = Outcome.of(view)
    assert found == Outcome(
        "NDI", START, view["id"], 32.0, 24.0, -8.0, "worsened", 7.5, "Young 2009"
    )
    assert found.as_values() == {
        "measure": "NDI",
        "recorded_on": "2026-03-02",
        "score": 32.0,
        "baseline_score": 24.0,
        "change": -8.0,
        "interpretation": "worsened",
        "mcid": 7.5,
        "mcid_citation": "Young 2009",
    }


def test_worsened_evidence_is_the_worsened_responses_values_and_ends_on_the_day() -> None:
    outcomes = [
        outcome(0, None),
        outcome(5, "worsened", score=32),
        outcome(9, "improved", score=14),
    ]
    (episode,) = worsened_scan(outcomes, ctx(20))
    assert episode.type == "outcome_worsened"
    (evidence,) = episode.evidence
    assert (evidence.rule, evidence.day, evidence.values) == (
        "outcome_worsened.by_mcid",
        START + timedelta(days=5),
        outcomes[1].as_values(),
    )
    assert episode.end == START + timedelta(days=9)
    # Only what is on or before today counts; an ended episode still in the window is kept.
    assert worsened_scan(outcomes, ctx(4)) == []
    assert outcome_episodes(outcomes, ctx(20), START + timedelta(days=9)) == [episode]
    assert outcome_episodes(outcomes, ctx(20), START + timedelta(days=10)) == []


def test_not_improving_evidence_lists_each_followed_measure_and_starts_on_the_week() -> None:
    outcomes = [
        outcome(0, None),
        outcome(1, None, measure="HIT-6"),
        outcome(30, "no_meaningful_change", score=22),
        outcome(31, "worsened", measure="HIT-6"),
    ]
    (episode,) = not_improving_scan(outcomes, ctx(42))
    assert (episode.type, episode.start) == ("not_improving", START + timedelta(days=42))
    (evidence,) = episode.evidence
    assert evidence.values == {
        "measures": [outcomes[3].as_values(), outcomes[2].as_values()],
        "since": START.isoformat(),
    }
    # A follow-up arriving after the week starts the episode on its own day.
    late = [outcome(0, None), outcome(44, "no_meaningful_change")]
    assert not_improving_scan(late, ctx(50))[0].start == START + timedelta(days=44)
    # Improving on the week's own day: nothing.
    assert not_improving_scan([outcome(0, None), outcome(42, "improved")], ctx(50)) == []
    # No programme, nothing judged; a programme ended before the week, nothing either.
    assert not_improving_scan(outcomes, Context(today=START + timedelta(days=60))) == []
    ended = ctx(60, programme_end=START + timedelta(days=40))
    assert not_improving_scan(outcomes, ended) == []
    ends_on_week = not_improving_scan(outcomes, ctx(60, programme_end=START + timedelta(days=42)))
    assert [(e.end, e.end_reason) for e in ends_on_week] == [
        (START + timedelta(days=42), "programme_ended")
    ]


def test_edges_today_the_weeks_own_day_and_a_second_episode() -> None:
    # A response recorded today counts today.
    today_worse = [outcome(0, None), outcome(5, "worsened", score=32)]
    assert worsened_scan(today_worse, ctx(5))[0].start == START + timedelta(days=5)
    # Worse, back, worse again: two episodes.
    twice = [*today_worse, outcome(6, "no_meaningful_change"), outcome(8, "worsened", score=33)]
    assert [(e.start, e.end) for e in worsened_scan(twice, ctx(9))] == [
        (START + timedelta(days=5), START + timedelta(days=6)),
        (START + timedelta(days=8), None),
    ]
    # A follow-up on the week's own day is judged that day; the evidence is dated then.
    on_week = [outcome(0, None), outcome(42, "no_meaningful_change")]
    (episode,) = not_improving_scan(on_week, ctx(42))
    assert (episode.start, episode.evidence[0].day) == ((START + timedelta(days=42),) * 2)
    # Improved today closes it today; no change again later opens another.
    flip = [*on_week, outcome(45, "improved", score=14), outcome(50, "no_meaningful_change")]
    assert [(e.start, e.end) for e in not_improving_scan(flip[:3], ctx(45))] == [
        (START + timedelta(days=42), START + timedelta(days=45))
    ]
    assert [e.start for e in not_improving_scan(flip, ctx(50))] == [
        START + timedelta(days=42),
        START + timedelta(days=50),
    ]
    # A programme ending today closes it today; both scans feed outcome_episodes.
    ending = not_improving_scan(on_week, ctx(42, programme_end=START + timedelta(days=42)))
    assert ending[0].end_reason == "programme_ended"
    both = outcome_episodes([*on_week, outcome(43, "worsened", score=32)], ctx(44), START)
    assert sorted(e.type for e in both) == ["not_improving", "outcome_worsened"]
