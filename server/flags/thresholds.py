"""Flag thresholds: the PRODUCT.md §4 defaults, overridable per clinic and per programme."""

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

    def as_dict(self) -> dict[str, float]:
        return dataclasses.asdict(self)


DEFAULT_THRESHOLDS = Thresholds()
_FIELDS = {f.name: f for f in dataclasses.fields(Thresholds)}


def merge_thresholds(*overrides: Mapping[str, Any] | None) -> Thresholds:
    """Defaults overridden by each mapping in turn (clinic, then programme).

    Unknown keys and values that are not non-negative numbers are ignored, so a bad override
    can never switch a rule off by accident.
    """
    values: dict[str, Any] = {}
    for override in overrides:
        for name, value in (override or {}).items():
            spec = _FIELDS.get(name)
            if spec is None or isinstance(value, bool) or not isinstance(value, int | float):
                continue
            if value < 0:
                continue
            values[name] = int(value) if spec.type == "int" else float(value)
    return dataclasses.replace(DEFAULT_THRESHOLDS, **values)


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
    "progression_ready.criteria": (
        "progression_days",
        "progression_adherence",
        "progression_max_exertion",
        "progression_min_pain_days",
    ),
}
