"""Building daily series for the pure rule tests: day N counts from a fixed Monday."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from server.flag_thresholds import DEFAULT_THRESHOLDS, Thresholds
from server.flags.rules import Baseline, Context, DayFacts

D0 = date(2026, 3, 2)


def day(n: int) -> date:
    return D0 + timedelta(days=n)


def facts(n: int, pain: int | None = None, **fields: Any) -> DayFacts:
    """Day ``n``: fully adherent (2 of 2 sessions) and logged unless told otherwise."""
    defaults: dict[str, Any] = {
        "daily_pain": pain,
        "sessions_due": 2,
        "sessions_credit": 2.0,
        "exercised": False,
        "logged": True,
    }
    defaults.update(fields)
    return DayFacts(day(n), **defaults)


def series_of(pains: list[int | None], first: int = 0, **fields: Any) -> dict[date, DayFacts]:
    """Consecutive days from ``first`` with the given daily pains (None: nothing that day)."""
    found = {}
    for offset, pain in enumerate(pains):
        n = first + offset
        extra = {"logged": False} if pain is None else {}
        found[day(n)] = facts(n, pain, **{**fields, **extra})
    return found


def ctx(
    today: int,
    baseline: float | None = 3,
    *,
    start: int | None = 0,
    end: int | None = None,
    increases: tuple[int, ...] = (),
    changes: tuple[int, ...] | None = None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    derived_on: int | None = None,
) -> Context:
    """A context with today = day ``today``; a therapist baseline unless ``derived_on`` is set."""
    found = None
    if baseline is not None:
        on = day(derived_on) if derived_on is not None else None
        found = Baseline(baseline, "derived" if on else "therapist", on)
    return Context(
        today=day(today),
        thresholds=thresholds,
        baseline=found,
        programme_start=day(start) if start is not None else None,
        programme_end=day(end) if end is not None else None,
        intensity_increases=tuple(day(n) for n in increases),
        intensity_changes=tuple(day(n) for n in (changes if changes is not None else increases)),
    )
