"""Flag thresholds: the PRODUCT.md §4 defaults, overridable per clinic and per programme.

In the kernel, not in ``flags``: programmes (below the flag engine) and clinic settings store and
validate overrides too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Thresholds:
    """Defaults of every rule; a clinic and then a programme may override any of them."""

    flare_rise: float = 2  # daily or next-morning pain ≥ baseline + 2 (Farrar 2001)
    session_pain_limit: float = 5  # pain during/after exercise > 5/10 (Silbernagel 2007)
    settle_margin: float = 1  # a settled day: daily pain ≤ baseline + 1
    settle_window_days: int = 3  # 72 h to settle, else escalate
    expected_window_days: int = 14  # a flare this soon after start/progression is expected
    worsening_rise: float = 2  # 7-day mean ≥ baseline + 2 ...
    worsening_relative: float = 0.30  # ... and ≥ 30 % above baseline (Farrar 2001)
    mean_min_days: int = 4  # days with data needed for a 7-day mean
    headache_day_rise: int = 2  # headache days in last 7 ≥ the 7 before + 2
    morning_min_days: int = 3  # morning ratings needed in each compared week
    morning_rise_min: float = 0  # each weekly morning mean must exceed the last by more than this
    high_pain: float = 8  # any single rating ≥ 8/10
    adherence_min: float = 0.5  # below 50 % of prescribed sessions over 7 days
    adherence_window_days: int = 7
    silence_days: int = 3  # nothing logged for 3 days
    progression_days: int = 14
    progression_adherence: float = 0.8
    progression_max_exertion: float = 5
    progression_min_pain_days: int = 7  # days with pain data needed in the 14
    baseline_days: int = 7  # derived baseline: median of the first 7 days with data
    not_improving_weeks: int = 6  # no outcome measure better by its MCID by week 6

    def as_dict(self) -> dict[str, float]:
        return dataclasses.asdict(self)


DEFAULT_THRESHOLDS = Thresholds()
_FIELDS = {f.name: f for f in dataclasses.fields(Thresholds)}
THRESHOLD_NAMES: tuple[str, ...] = tuple(_FIELDS)
INTEGER_THRESHOLDS = frozenset(name for name, spec in _FIELDS.items() if spec.type == "int")

# The sane range of each threshold (inclusive): an override outside it is refused (422) at the
# API and ignored if found stored, so no setting can switch a rule off or make it fire always.
LIMITS: dict[str, tuple[float, float]] = {
    "flare_rise": (1, 10),
    "session_pain_limit": (1, 9),
    "settle_margin": (0, 5),
    "settle_window_days": (1, 14),
    "expected_window_days": (0, 60),
    "worsening_rise": (1, 10),
    "worsening_relative": (0.1, 1),
    "mean_min_days": (1, 7),
    "headache_day_rise": (1, 7),
    "morning_min_days": (1, 7),
    "morning_rise_min": (0, 5),
    "high_pain": (1, 10),
    "adherence_min": (0.1, 1),
    "adherence_window_days": (3, 28),
    "silence_days": (1, 30),
    "progression_days": (7, 42),
    "progression_adherence": (0.5, 1),
    "progression_max_exertion": (0, 10),
    "progression_min_pain_days": (1, 42),
    "baseline_days": (3, 14),
    "not_improving_weeks": (2, 26),
}

# Where a threshold in force came from, most specific first.
PROGRAMME, CLINIC, DEFAULT = "programme", "clinic", "default"
SOURCES = (PROGRAMME, CLINIC, DEFAULT)


def threshold_problem(name: str, value: Any) -> str | None:
    """Why ``value`` cannot override threshold ``name``, or None when it can."""
    if name not in _FIELDS:
        return "Not a flag threshold."
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        return "Must be a number."
    if name in INTEGER_THRESHOLDS and value != int(value):
        return "Must be a whole number."
    low, high = LIMITS[name]
    if not low <= value <= high:
        return f"Must be between {low:g} and {high:g}."
    return None


def _typed(name: str, value: float) -> float | int:
    return int(value) if name in INTEGER_THRESHOLDS else float(value)


def apply_overrides(
    current: Mapping[str, Any] | None, changes: Mapping[str, Any | None]
) -> dict[str, float | int]:
    """``current`` overrides with ``changes`` applied: a value sets, ``None`` removes (back to
    the next level down). Only usable overrides are kept; the result is sorted by name."""
    merged = {k: v for k, v in (current or {}).items() if threshold_problem(k, v) is None}
    for name, value in changes.items():
        if value is None:
            merged.pop(name, None)
        elif threshold_problem(name, value) is None:
            merged[name] = _typed(name, value)
    return dict(sorted(merged.items()))


@dataclass(frozen=True)
class ResolvedThresholds:
    """The thresholds in force and, for each, where it came from (:data:`SOURCES`)."""

    values: Thresholds
    sources: Mapping[str, str]


def resolve_thresholds(
    *, clinic: Mapping[str, Any] | None = None, programme: Mapping[str, Any] | None = None
) -> ResolvedThresholds:
    """Each threshold from the programme's overrides, else the clinic's, else the default.

    Unusable overrides (unknown names, non-numbers, values outside :data:`LIMITS`) are skipped,
    so a bad stored value can never switch a rule off by accident.
    """
    values: dict[str, Any] = {}
    sources = dict.fromkeys(THRESHOLD_NAMES, DEFAULT)
    for source, overrides in ((CLINIC, clinic), (PROGRAMME, programme)):
        for name, value in (overrides or {}).items():
            if threshold_problem(name, value) is None:
                values[name] = _typed(name, value)
                sources[name] = source
    return ResolvedThresholds(dataclasses.replace(DEFAULT_THRESHOLDS, **values), sources)


def merge_thresholds(*overrides: Mapping[str, Any] | None) -> Thresholds:
    """Defaults overridden by each mapping in turn (clinic, then programme); unusable
    overrides are ignored (see :func:`resolve_thresholds`)."""
    merged: dict[str, Any] = {}
    for override in overrides:
        merged = apply_overrides(merged, override or {})
    return resolve_thresholds(clinic=merged).values


# Which thresholds each rule's evidence records.
RULE_THRESHOLDS: dict[str, tuple[str, ...]] = {
    "flare_up.daily_pain": ("flare_rise",),
    "flare_up.session_pain": ("session_pain_limit",),
    "flare_up.next_morning": ("flare_rise",),
    "flare_up.settled": ("settle_margin", "settle_window_days"),
    "worsening.unsettled_flare": ("settle_margin", "settle_window_days"),
    "worsening.mean_7d": ("worsening_rise", "worsening_relative", "mean_min_days"),
    "worsening.headache_days": ("headache_day_rise",),
    "worsening.morning_rising": ("morning_min_days", "morning_rise_min"),
    "high_pain.rating": ("high_pain",),
    "non_adherence.low_adherence": ("adherence_min", "adherence_window_days"),
    "non_adherence.nothing_logged": ("silence_days",),
    "not_improving.no_meaningful_change": ("not_improving_weeks",),
    "progression_ready.criteria": (
        "progression_days",
        "progression_adherence",
        "progression_max_exertion",
        "progression_min_pain_days",
    ),
}
