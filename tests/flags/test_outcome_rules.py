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
