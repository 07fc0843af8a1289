"""Pure rules of outcome measures: scoring a response, its band, the change from baseline and
its interpretation by the MCID, and the administrations a schedule makes due. No database, no
Flask: a measure's definition is the validated seed file (``schemas.MeasureIn``) as plain dicts.

Rounding: a score is computed exactly (``Decimal``) and rounded half up to the measure's
``scoring.decimals``; a prorated NDI with 24 points from 9 items is 24 × 50 / 45 = 26.666… → 26.7,
its percentage 53.3. A change is the difference of the two rounded scores.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

IMPROVED, NO_CHANGE, WORSENED = "improved", "no_meaningful_change", "worsened"
INTERPRETATIONS = (IMPROVED, NO_CHANGE, WORSENED)
LOWER_IS_BETTER, HIGHER_IS_BETTER, CHANGE_SCORE = (
    "lower_is_better",
    "higher_is_better",
    "change_score",
)
DIRECTIONS = (LOWER_IS_BETTER, HIGHER_IS_BETTER, CHANGE_SCORE)
SUM, MEAN = "sum", "mean"
PRORATE, NONE = "prorate", "none"
START, PERIODIC, END = "start", "periodic", "end"
# How long a due administration stays answerable (days, the due date included).
DEFAULT_WINDOW_DAYS = 7
_ADMINISTRATIONS = uuid.UUID("6f1d3c0e-7b5a-4e0f-9a43-2f8d1c6b9e57")


class ScoringError(ValueError):
    """The answers cannot be scored; ``errors`` maps the body's fields to messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True)
class Scored:
    """A scored response: the score, its percentage of the range (where the measure reports
    one), its band, whether missing items were prorated, and the answers as stored."""

    score: float
    percent: float | None
    band: str | None
    prorated: bool
    answers: list[dict[str, Any]]


def item_score(item: Mapping[str, Any], value: int) -> Decimal | None:
    """What answering ``value`` to ``item`` scores, or None when it is not one of its answers."""
    if item.get("options"):
        scores = {option["value"]: option["score"] for option in item["options"]}
        return Decimal(str(scores[value])) if value in scores else None
    scale = item["scale"]
    return Decimal(value) if scale["min"] <= value <= scale["max"] else None


def item_bounds(item: Mapping[str, Any]) -> tuple[Decimal, Decimal]:
    """The lowest and highest score of one item."""
    if item.get("options"):
        scores = [Decimal(str(option["score"])) for option in item["options"]]
        return min(scores), max(scores)
    return Decimal(item["scale"]["min"]), Decimal(item["scale"]["max"])


def choices(item: Mapping[str, Any]) -> str:
    """The answers ``item`` accepts, as a reader sees them: ``0, 1, 2`` or ``0 to 10``."""
    if item.get("options"):
        return ", ".join(str(option["value"]) for option in item["options"])
    return f"{item['scale']['min']} to {item['scale']['max']}"


def score_response(
    definition: Mapping[str, Any],
    answers: Sequence[Mapping[str, Any]],
    *,
    baseline_activities: Mapping[str, str] | None = None,
) -> Scored:
    """Score ``answers`` (``[{item, value, activity?}]``) by the measure's rules, or raise
    :class:`ScoringError` naming every problem.

    A fixed item left out (or with ``value`` null) is missing: up to ``missing.allowed`` may be,
    and a sum is then prorated to the full range. Patient-named items (PSFS) are the activities
    the patient names at baseline (``baseline_activities`` None) and rates again, the same ones,
    at every later response.
    """
    items = {item["key"]: item for item in definition["items"]}
    errors: list[str] = []
    given: dict[str, Decimal | None] = {}
    named: dict[str, str] = {}
    for index, answer in enumerate(answers):
        key, value, activity = answer["item"], answer.get("value"), answer.get("activity")
        item = items.get(key)
        if item is None:
            errors.append(f"{index}.item: Unknown item.")
            continue
        if key in given:
            errors.append(f"{index}.item: Answered twice.")
            continue
        score = None if value is None else item_score(item, value)
        if value is not None and score is None:
            errors.append(f"{index}.value: Not one of this item's answers: {choices(item)}.")
        given[key] = score
        if item["patient_named"]:
            errors += _activity_errors(index, key, activity, value, baseline_activities, named)
        elif activity is not None:
            errors.append(f"{index}.activity: Only an activity the patient names takes a name.")
    if not errors:
        errors += _missing_errors(definition, given, baseline_activities)
    if errors:
        raise ScoringError({"answers": errors})
    return _scored(definition, given, named, answers)


def _activity_errors(
    index: int,
    key: str,
    activity: str | None,
    value: int | None,
    baseline: Mapping[str, str] | None,
    named: dict[str, str],
) -> list[str]:
    """A patient-named item's name: given at baseline, the baseline's own afterwards."""
    if baseline is None:
        if value is not None and not (activity or "").strip():
            return [f"{index}.activity: Name the activity you rate."]
        if activity is not None and value is None:
            return [f"{index}.value: Rate the activity you name."]
        if activity is not None:
            named[key] = activity.strip()
        return []
    if key not in baseline:
        return [f"{index}.item: Not an activity named at baseline."]
    if activity is not None and _same_text(activity) != _same_text(baseline[key]):
        return [f"{index}.activity: Not the activity named at baseline for this item."]
    named[key] = baseline[key]
    return []


def _same_text(text: str) -> str:
    return " ".join(text.split()).casefold()


def _missing_errors(
    definition: Mapping[str, Any],
    given: Mapping[str, Decimal | None],
    baseline: Mapping[str, str] | None,
) -> list[str]:
    """Too many fixed items unanswered; too few activities named, or not the baseline's."""
    fixed = [i["key"] for i in definition["items"] if not i["patient_named"]]
    missing = [key for key in fixed if given.get(key) is None]
    allowed = definition["missing"]["allowed"]
    errors = []
    if len(missing) > allowed:
        errors.append(
            f"Unanswered items: {', '.join(missing)} ({len(missing)}); at most {allowed} may be "
            "left unanswered, so this response cannot be scored."
        )
    named = [i["key"] for i in definition["items"] if i["patient_named"]]
    rated = {key for key in named if given.get(key) is not None}
    least = definition["scoring"]["min_answered"] or 1
    if named and baseline is not None and rated != set(baseline):
        errors.append(f"Rate the same activities as at baseline: {', '.join(sorted(baseline))}.")
    elif named and baseline is None and len(rated) < least:
        errors.append(f"Name and rate at least {least} activities.")
    return errors


def _scored(
    definition: Mapping[str, Any],
    given: Mapping[str, Decimal | None],
    named: Mapping[str, str],
    answers: Sequence[Mapping[str, Any]],
) -> Scored:
    scoring, items = definition["scoring"], definition["items"]
    answered = [(item, given[item["key"]]) for item in items if given.get(item["key"]) is not None]
    scores = [score for _, score in answered]
    prorated = False
    if scoring["method"] == MEAN:
        exact = sum(scores, Decimal(0)) / len(scores)
    else:
        exact = sum(scores, Decimal(0))
        full = sum((item_bounds(i)[1] for i in items if not i["patient_named"]), Decimal(0))
        reached = sum((item_bounds(item)[1] for item, _ in answered), Decimal(0))
        if reached < full:
            exact, prorated = exact * full / reached, True
    low, high = Decimal(str(scoring["min"])), Decimal(str(scoring["max"]))
    places = scoring["decimals"]
    score = rounded(exact, places)
    percent = rounded((exact - low) * 100 / (high - low), places) if scoring["percent"] else None
    stored = [
        {
            "item": item["key"],
            "value": _value_of(answers, item["key"]),
            "activity": named.get(item["key"]),
        }
        for item in items
        if item["key"] in given
    ]
    return Scored(score, percent, band_of(definition["bands"], score), prorated, stored)


def _value_of(answers: Sequence[Mapping[str, Any]], key: str) -> int | None:
    return next(answer.get("value") for answer in answers if answer["item"] == key)


def rounded(value: Decimal, places: int) -> float:
    """``value`` rounded half up to ``places`` decimals (2.25 → 2.3, never banker's 2.2)."""
    return float(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def band_of(bands: Sequence[Mapping[str, Any]], score: float) -> str | None:
    """The code of the band ``score`` falls in: the last whose start (``from``) it reaches."""
    reached = [band["code"] for band in bands if score >= band["start"]]
    return reached[-1] if reached else None


def change_from_baseline(
    direction: str, score: float, baseline: float | None, places: int
) -> float | None:
    """Points better (+) or worse (−) than the baseline score, whatever way the scale runs
    (NDI 24 → 14 is +10); None for the baseline itself and for a change score (GROC)."""
    if baseline is None or direction == CHANGE_SCORE:
        return None
    difference = Decimal(str(score)) - Decimal(str(baseline))
    return rounded(-difference if direction == LOWER_IS_BETTER else difference, places)


def interpret(direction: str, mcid: float, score: float, change: float | None) -> str | None:
    """``improved`` / ``no_meaningful_change`` / ``worsened`` by the MCID: of the change from
    baseline, or of the score itself for a change score (GROC ≥ +3 is improved). None for a
    baseline."""
    value = score if direction == CHANGE_SCORE else change
    if value is None:
        return None
    if Decimal(str(value)) >= Decimal(str(mcid)):
        return IMPROVED
    if Decimal(str(value)) <= -Decimal(str(mcid)):
        return WORSENED
    return NO_CHANGE


@dataclass(frozen=True)
class Administration:
    """One time a scheduled measure is due: answerable from ``due`` to ``closes`` (local
    dates, both included). Its id is derived from the schedule and the date, so it is the same
    every time it is computed and never needs storing to be referred to."""

    id: uuid.UUID
    occasion: str
    due: date
    closes: date

    def answerable_on(self, day: date) -> bool:
        return self.due <= day <= self.closes


def administration(schedule_id: uuid.UUID, occasion: str, due: date, window_days: int):
    """The administration of ``schedule_id`` due on ``due``."""
    key = uuid.uuid5(_ADMINISTRATIONS, f"{schedule_id}/{due.isoformat()}")
    return Administration(key, occasion, due, due + timedelta(days=window_days - 1))


def administrations(
    schedule_id: uuid.UUID,
    *,
    start: date,
    end: date | None,
    at_start: bool,
    every_weeks: int | None,
    at_end: bool,
    window_days: int = DEFAULT_WINDOW_DAYS,
    stopped: date | None = None,
) -> Iterator[Administration]:
    """The administrations a schedule makes due, in date order: at the programme's ``start``,
    every ``every_weeks`` weeks after it while the programme runs, and at its ``end`` once it
    has one. One per date (a periodic one on the end date is the end's). Endless for a running
    programme with a periodic schedule: the caller stops it. None due after ``stopped`` (the
    schedule was removed then)."""
    limit = min((d for d in (end, stopped) if d is not None), default=None)
    if at_start and (limit is None or start <= limit):
        yield administration(schedule_id, START, start, window_days)
    step = timedelta(weeks=every_weeks or 0)
    due = start + step
    while every_weeks and (limit is None or due <= limit) and not (at_end and due == end):
        yield administration(schedule_id, PERIODIC, due, window_days)
        due += step
    ends = at_end and end is not None and start <= end and (stopped is None or end <= stopped)
    if ends and not (at_start and end == start):
        yield administration(schedule_id, END, end, window_days)
