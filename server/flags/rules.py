"""Pure flag rules of PRODUCT.md §4: thresholds, baseline, and what each rule says about one day.

No database, no Flask. Days are patient-local dates; a day missing from the series has no data.
The episode scans that turn these day rules into flags live in ``server.flags.episodes``.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from server.clock import days_between
from server.flag_thresholds import DEFAULT, DEFAULT_THRESHOLDS, RULE_THRESHOLDS, Thresholds


@dataclass(frozen=True)
class DayFacts:
    """What one local day holds. ``daily_pain`` is the max of ratings, headaches, session pain."""

    day: date
    daily_pain: int | None = None
    morning_pain: int | None = None
    session_pain: int | None = None  # max of pain during / after exercise
    headaches: int = 0
    exertion_max: int | None = None
    sessions_due: int = 0  # prescribed sessions whose time has come
    sessions_credit: float = 0  # completed 1, partial 0.5
    exercised: bool = False  # a completed or partial session
    logged: bool = False  # any record at all


@dataclass(frozen=True)
class Baseline:
    """The reference pain: the therapist's value, or derived once 7 days with data exist."""

    value: float
    source: str  # "therapist" | "derived"
    established_on: date | None = None  # derived: the 7th day with data

    def as_of(self, day: date) -> float | None:
        """The baseline in force on ``day`` (a derived one only from its 7th data day on)."""
        if self.established_on is not None and day < self.established_on:
            return None
        return self.value

    def as_evidence(self) -> dict[str, Any]:
        on = self.established_on.isoformat() if self.established_on else None
        return {"value": self.value, "source": self.source, "established_on": on}


def derive_baseline(
    first_days: Sequence[tuple[date, int]], thresholds: Thresholds = DEFAULT_THRESHOLDS
) -> Baseline | None:
    """Median daily pain of the first ``baseline_days`` days with data; None until there are."""
    ordered = sorted(first_days)[: thresholds.baseline_days]
    if len(ordered) < thresholds.baseline_days:
        return None
    value = float(statistics.median(pain for _, pain in ordered))
    return Baseline(value, "derived", established_on=ordered[-1][0])


@dataclass(frozen=True)
class Context:
    """Everything the rules need besides the series, as plain values."""

    today: date
    thresholds: Thresholds = DEFAULT_THRESHOLDS
    # Where each threshold in force came from (programme, clinic or default; default if absent).
    threshold_sources: Mapping[str, str] = field(default_factory=dict)
    baseline: Baseline | None = None
    programme_start: date | None = None
    programme_end: date | None = None  # its last day once ended (the scans judge no later)
    intensity_increases: tuple[date, ...] = ()  # local dates of revisions raising a level
    intensity_changes: tuple[date, ...] = ()  # of revisions moving a level either way

    def baseline_on(self, day: date) -> float | None:
        return self.baseline.as_of(day) if self.baseline else None


@dataclass(frozen=True)
class Evidence:
    """One data point that made a rule fire: the rule, the day, the values, the thresholds."""

    rule: str
    day: date
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.rule}:{self.day.isoformat()}"

    def as_dict(self, ctx: Context) -> dict[str, Any]:
        """The JSON entry stored on a flag."""
        limits = ctx.thresholds.as_dict()
        names = RULE_THRESHOLDS.get(self.rule, ())
        return {
            "key": self.key,
            "rule": self.rule,
            "day": self.day.isoformat(),
            "values": self.values,
            "thresholds": {name: limits[name] for name in names},
            "threshold_sources": {name: ctx.threshold_sources.get(name, DEFAULT) for name in names},
            "baseline": ctx.baseline.as_evidence() if ctx.baseline else None,
        }


Series = Mapping[date, DayFacts]


def facts(series: Series, day: date) -> DayFacts:
    """The day's facts, or an empty day."""
    return series.get(day) or DayFacts(day)


def window(series: Series, last: date, length: int) -> list[DayFacts]:
    """The ``length`` days ending on ``last``."""
    return [facts(series, d) for d in days_between(last - timedelta(days=length - 1), last)]


def _reaches(value: float | None, limit: float | None) -> bool:
    return value is not None and limit is not None and value >= limit


def flare_triggers(series: Series, day: date, ctx: Context) -> list[Evidence]:
    """The flare rules that fire on ``day``: daily pain, session pain, pain the next morning."""
    t, today = ctx.thresholds, facts(series, day)
    baseline = ctx.baseline_on(day)
    rise_limit = baseline + t.flare_rise if baseline is not None else None
    found = []
    if _reaches(today.daily_pain, rise_limit):
        found.append(Evidence("flare_up.daily_pain", day, {"daily_pain": today.daily_pain}))
    if today.session_pain is not None and today.session_pain > t.session_pain_limit:
        found.append(Evidence("flare_up.session_pain", day, {"session_pain": today.session_pain}))
    yesterday = facts(series, day - timedelta(days=1))
    if yesterday.exercised and _reaches(today.morning_pain, rise_limit):
        values = {"morning_pain": today.morning_pain, "session_day": yesterday.day.isoformat()}
        found.append(Evidence("flare_up.next_morning", day, values))
    return found


def pain_state(series: Series, day: date, ctx: Context) -> str | None:
    """``raised``, ``settled`` (daily pain ≤ baseline + 1 and no flare rule) or None (no data).

    Before a baseline exists the Silbernagel limit (5/10) is the reference instead.
    """
    pain = facts(series, day).daily_pain
    if pain is None:
        return None
    baseline = ctx.baseline_on(day)
    t = ctx.thresholds
    limit = baseline + t.settle_margin if baseline is not None else t.session_pain_limit
    if pain > limit or flare_triggers(series, day, ctx):
        return "raised"
    return "settled"


def is_expected(start: date, ctx: Context) -> bool:
    """A flare is expected when it starts within 14 days of the programme start or a progression."""
    anchors = [*ctx.intensity_increases]
    if ctx.programme_start is not None:
        anchors.append(ctx.programme_start)
    limit = ctx.thresholds.expected_window_days
    return any(0 <= (start - anchor).days <= limit for anchor in anchors)


def _mean(values: Sequence[float]) -> float:
    return round(sum(values) / len(values), 2)


def mean_7d_trigger(series: Series, day: date, ctx: Context) -> Evidence | None:
    """7-day mean daily pain ≥ baseline + 2 and ≥ 30 % above baseline (enough days with data)."""
    t, baseline = ctx.thresholds, ctx.baseline_on(day)
    week = window(series, day, 7)
    pains = [f.daily_pain for f in week if f.daily_pain is not None]
    if baseline is None or len(pains) < t.mean_min_days:
        return None
    mean = _mean(pains)
    if mean >= baseline + t.worsening_rise and mean >= baseline * (1 + t.worsening_relative):
        values = {"mean": mean, "days_with_data": len(pains), "from": _iso(week[0].day)}
        return Evidence("worsening.mean_7d", day, values)
    return None


def headache_days_trigger(series: Series, day: date, ctx: Context) -> Evidence | None:
    """Headache days in the last 7 ≥ the 7 before + 2, once both weeks lie in the programme."""
    fortnight = window(series, day, 14)
    start = ctx.programme_start
    if start is None or fortnight[0].day < start:
        return None
    previous = sum(1 for f in fortnight[:7] if f.headaches)
    last = sum(1 for f in fortnight[7:] if f.headaches)
    if last >= previous + ctx.thresholds.headache_day_rise:
        values = {"headache_days_last_7": last, "headache_days_previous_7": previous}
        return Evidence("worsening.headache_days", day, values)
    return None


def morning_rising_trigger(series: Series, day: date, ctx: Context) -> Evidence | None:
    """Mean morning pain rising week on week for 2 weeks (3 weeks, enough ratings in each)."""
    t = ctx.thresholds
    weeks = window(series, day, 21)
    mornings = [
        [f.morning_pain for f in weeks[i : i + 7] if f.morning_pain is not None] for i in (0, 7, 14)
    ]
    if any(len(m) < t.morning_min_days for m in mornings):
        return None
    means = [_mean(m) for m in mornings]
    if all(b - a > t.morning_rise_min for a, b in itertools.pairwise(means)):
        values = {"weekly_morning_means": means, "from": _iso(weeks[0].day)}
        return Evidence("worsening.morning_rising", day, values)
    return None


def worsening_triggers(series: Series, day: date, ctx: Context) -> list[Evidence]:
    """The rolling worsening rules on a complete ``day`` (escalation comes from the flare scan)."""
    rules = (mean_7d_trigger, headache_days_trigger, morning_rising_trigger)
    return [found for rule in rules if (found := rule(series, day, ctx)) is not None]


def high_pain_trigger(series: Series, day: date, ctx: Context) -> Evidence | None:
    """Any single rating (pain, headache or session pain) ≥ 8/10 on ``day``."""
    pain = facts(series, day).daily_pain
    if _reaches(pain, ctx.thresholds.high_pain):
        return Evidence("high_pain.rating", day, {"max_pain": pain})
    return None


def _adherence(days: Sequence[DayFacts]) -> tuple[int, float, float | None]:
    due = sum(f.sessions_due for f in days)
    credit = sum(f.sessions_credit for f in days)
    return due, credit, (round(credit / due, 3) if due else None)


def non_adherence_triggers(series: Series, day: date, ctx: Context) -> list[Evidence]:
    """On a complete ``day``: < 50 % of prescribed sessions over the last 7 days (once the
    programme has run 7 days), or nothing at all logged on the last 3 days.
    """
    t, start = ctx.thresholds, ctx.programme_start
    if start is None:
        return []
    found = []
    span = int(t.adherence_window_days)
    if (day - start).days >= span - 1:
        due, credit, ratio = _adherence(window(series, day, span))
        if ratio is not None and ratio < t.adherence_min:
            values = {"ratio": ratio, "sessions_due": due, "sessions_credit": credit}
            found.append(Evidence("non_adherence.low_adherence", day, values))
    quiet = int(t.silence_days)
    if (day - start).days >= quiet - 1 and not any(f.logged for f in window(series, day, quiet)):
        first = day - timedelta(days=quiet - 1)
        found.append(Evidence("non_adherence.nothing_logged", day, {"from": _iso(first)}))
    return found


def progression_ready(series: Series, day: date, ctx: Context) -> Evidence | None:
    """On a complete ``day``: the last 14 days (all at the current intensity) had ≥ 80 %
    adherence, daily pain never above baseline (with enough pain data) and exertion ≤ 5.
    """
    t, start = ctx.thresholds, ctx.programme_start
    baseline = ctx.baseline_on(day)
    span = int(t.progression_days)
    first = day - timedelta(days=span - 1)
    changes = [c for c in ctx.intensity_changes if c <= day]
    if baseline is None or start is None or first < start or (changes and first < max(changes)):
        return None
    days = window(series, day, span)
    _, _, ratio = _adherence(days)
    pains = [f.daily_pain for f in days if f.daily_pain is not None]
    efforts = [f.exertion_max for f in days if f.exertion_max is not None]
    if ratio is None or ratio < t.progression_adherence:
        return None
    if len(pains) < t.progression_min_pain_days or max(pains) > baseline:
        return None
    if efforts and max(efforts) > t.progression_max_exertion:
        return None
    values = {
        "adherence": ratio,
        "max_daily_pain": max(pains),
        "max_exertion": max(efforts) if efforts else None,
        "from": _iso(first),
    }
    return Evidence("progression_ready.criteria", day, values)


def _iso(day: date) -> str:
    return day.isoformat()
