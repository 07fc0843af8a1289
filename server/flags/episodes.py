"""Pure scans that turn the day rules into flag episodes on the data's own timeline.

``evaluate(series, ctx, first)`` walks the local days from ``first`` to ``ctx.today`` and returns
the episodes of the self-ending flag types (flare, non-adherence, progression-ready) and the
trigger evidence of the types only a therapist ends (worsening, high pain). The same data always
gives the same result, whenever and in whatever order it arrived.

A day's pain only ever rises as records arrive (it is a maximum), so a *raised* day is final at
once, while a *settled* day, a quiet day or a complete-day rule is only final once the day is over.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from server.clock import days_between
from server.flags.rules import (
    Context,
    Evidence,
    Series,
    facts,
    flare_triggers,
    high_pain_trigger,
    is_expected,
    non_adherence_triggers,
    pain_state,
    progression_ready,
    worsening_triggers,
)

ONE_DAY = timedelta(days=1)
PROGRAMME_ENDED = "programme_ended"  # why an adherence or progression episode ended


@dataclass
class Episode:
    """One stretch of a self-ending flag type: where it started, its evidence, how it ended."""

    type: str
    start: date
    evidence: list[Evidence] = field(default_factory=list)
    end: date | None = None
    end_reason: str | None = None
    expected: bool = False

    def close(self, day: date, reason: str) -> Episode:
        self.end, self.end_reason = day, reason
        return self


@dataclass(frozen=True)
class Findings:
    """What the rules found in a window: episodes, and triggers by flag type."""

    episodes: list[Episode]
    triggers: dict[str, list[Evidence]]


def final_state(series: Series, day: date, ctx: Context) -> str | None:
    """The day's pain state once it can no longer change: today counts only when raised."""
    state = pain_state(series, day, ctx)
    return state if day < ctx.today or state == "raised" else None


def flare_outcome(
    series: Series, ctx: Context, start: date, day: date
) -> tuple[str, Evidence] | None:
    """How a flare that began on ``start`` ends on ``day``, if it does (PRODUCT.md §4).

    Settled: two consecutive settled days after the start, within 72 h. Escalated: 72 h passed
    without that, and pain was raised again on some day after the onset day. A flare whose
    later days are all settled or missing waits, since missing data alone never escalates, and
    ends ``settled_late`` on the first two consecutive settled days.
    """
    window = ctx.thresholds.settle_window_days
    state = final_state(series, day, ctx)
    before = day - ONE_DAY
    if before > start and state == "settled" and final_state(series, before, ctx) == "settled":
        reason = "settled" if (day - start).days <= window else "settled_late"
        pains = [facts(series, before).daily_pain, facts(series, day).daily_pain]
        values = {"days": [before.isoformat(), day.isoformat()], "daily_pain": pains}
        return reason, Evidence("flare_up.settled", day, values)
    if (day - start).days < window or (day == ctx.today and state != "raised"):
        return None
    raised = [
        d for d in days_between(start + ONE_DAY, day) if final_state(series, d, ctx) == "raised"
    ]
    if not raised:
        return None
    values = {
        "flare_start": start.isoformat(),
        "latest_day": raised[-1].isoformat(),
        "daily_pain": facts(series, raised[-1]).daily_pain,
        "raised_days": [d.isoformat() for d in raised],
    }
    return "escalated", Evidence("flare_up.escalated", day, values)


def flare_scan(series: Series, ctx: Context, first: date) -> tuple[list[Episode], list[Evidence]]:
    """Flare episodes from ``first`` to today, and the worsening evidence of escalated ones."""
    episodes: list[Episode] = []
    escalations: list[Evidence] = []
    current: Episode | None = None
    for day in days_between(first, ctx.today):
        triggers = flare_triggers(series, day, ctx)
        if current is None:
            if triggers:
                current = Episode("flare_up", day, list(triggers), expected=is_expected(day, ctx))
                episodes.append(current)
            continue
        current.evidence.extend(triggers)
        outcome = flare_outcome(series, ctx, current.start, day)
        if outcome is None:
            continue
        reason, evidence = outcome
        current.evidence.append(evidence)
        current.close(day, reason)
        if reason == "escalated":
            escalations.append(Evidence("worsening.unsettled_flare", day, dict(evidence.values)))
        current = None
    return episodes, escalations


def non_adherence_scan(series: Series, ctx: Context, first: date) -> list[Episode]:
    """Runs of complete days on which a non-adherence rule holds; each ends when none does."""
    episodes: list[Episode] = []
    current: Episode | None = None
    for day in days_between(first, _last_judged(ctx, ctx.today - ONE_DAY)):
        triggers = non_adherence_triggers(series, day, ctx)
        if current is not None and not triggers:
            current.close(day, "back_above_threshold")
            current = None
        elif triggers:
            if current is None:
                current = Episode("non_adherence", day)
                episodes.append(current)
            current.evidence.extend(triggers)
    _close_at_programme_end(current, ctx)
    return episodes


def _last_judged(ctx: Context, last: date) -> date:
    """``last``, or the programme's last day if it ended before: nothing is owed after it."""
    return min(last, ctx.programme_end) if ctx.programme_end is not None else last


def _close_at_programme_end(current: Episode | None, ctx: Context) -> None:
    """An episode still open once its programme has ended (today at the latest) closes on the
    programme's last day: nothing is owed or suggested any more."""
    end = ctx.programme_end
    if current is not None and end is not None and end <= ctx.today:
        current.close(max(end, current.start), PROGRAMME_ENDED)


def progression_scan(series: Series, ctx: Context, first: date) -> list[Episode]:
    """Progression-ready suggestions: each lasts until the next intensity change (or until pain
    rises above baseline, which makes progressing unsafe).
    """
    episodes: list[Episode] = []
    current: Episode | None = None
    changes = set(ctx.intensity_changes)
    for day in days_between(first, _last_judged(ctx, ctx.today)):
        if current is not None:
            pain, baseline = facts(series, day).daily_pain, ctx.baseline_on(day)
            if day in changes:
                current.close(day, "intensity_changed")
                current = None
            elif pain is not None and baseline is not None and pain > baseline:
                current.close(day, "pain_above_baseline")
                current = None
            continue
        if day < ctx.today and (found := progression_ready(series, day, ctx)) is not None:
            current = Episode("progression_ready", day, [found])
            episodes.append(current)
    _close_at_programme_end(current, ctx)
    return episodes


def evaluate(series: Series, ctx: Context, first: date) -> Findings:
    """Every rule over the local days from ``first`` to ``ctx.today``."""
    if first > ctx.today:
        return Findings([], {"worsening": [], "high_pain": []})
    flares, escalations = flare_scan(series, ctx, first)
    complete = days_between(first, ctx.today - ONE_DAY)
    worsening = [e for day in complete for e in worsening_triggers(series, day, ctx)]
    high_pain = [
        found
        for day in days_between(first, ctx.today)
        if (found := high_pain_trigger(series, day, ctx)) is not None
    ]
    episodes = [
        *flares,
        *non_adherence_scan(series, ctx, first),
        *progression_scan(series, ctx, first),
    ]
    return Findings(episodes, {"worsening": worsening + escalations, "high_pain": high_pain})
