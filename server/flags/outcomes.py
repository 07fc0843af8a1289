"""Pure scans of the patient's outcome-measure responses into flag episodes: ``outcome_worsened``
(a scored measure worse than its baseline by at least its MCID) and ``not_improving`` (by week
``not_improving_weeks`` of the programme, no measure better by its MCID).

No database, no Flask. A response's interpretation (``improved``, ``no_meaningful_change``,
``worsened``) is the measures domain's, by the measure's MCID against the patient's earliest
response; the scans only follow each measure's latest response on the data's own timeline, so
the same responses always give the same episodes, in whatever order and batches they arrived.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from server.flags.episodes import PROGRAMME_ENDED, Episode
from server.flags.rules import Context, Evidence

IMPROVED, WORSENED = "improved", "worsened"
# Why an outcome episode ended (besides the programme's end for not_improving).
NO_LONGER_WORSENED = "no_longer_worsened"
NOW_IMPROVING = "improved"
WORSENED_RULE = "outcome_worsened.by_mcid"
NOT_IMPROVING_RULE = "not_improving.no_meaningful_change"


@dataclass(frozen=True)
class Outcome:
    """One scored response, reduced to what the outcome rules judge and what evidence shows."""

    measure: str
    day: date  # the patient-local date it was recorded
    response_id: str
    score: float
    baseline_score: float | None
    change: float | None  # points better (+) or worse (-) than baseline; None on the baseline
    interpretation: str | None  # None: the baseline itself
    mcid: float
    mcid_citation: str

    @classmethod
    def of(cls, view: Mapping[str, Any]) -> Outcome:
        """From the measures domain's response view (``measures.queries.outcomes_of``)."""
        return cls(
            measure=view["measure"],
            day=view["local_date"],
            response_id=str(view["id"]),
            score=view["score"],
            baseline_score=view["baseline_score"],
            change=view["change"],
            interpretation=view["interpretation"],
            mcid=view["mcid"],
            mcid_citation=view["mcid_citation"],
        )

    def as_values(self) -> dict[str, Any]:
        return {
            "measure": self.measure,
            "recorded_on": self.day.isoformat(),
            "score": self.score,
            "baseline_score": self.baseline_score,
            "change": self.change,
            "interpretation": self.interpretation,
            "mcid": self.mcid,
            "mcid_citation": self.mcid_citation,
        }


@dataclass(frozen=True)
class MeasureEvidence(Evidence):
    """Evidence about one measure's response: keyed by the measure too (two measures may
    worsen on the same day)."""

    measure: str = ""

    @property
    def key(self) -> str:
        return f"{self.rule}:{self.day.isoformat()}:{self.measure}"


def _by_day(outcomes: Iterable[Outcome]) -> dict[date, list[Outcome]]:
    """The outcomes grouped by local date, dates in order, each day's in the given order."""
    days: dict[date, list[Outcome]] = {}
    for outcome in sorted(outcomes, key=lambda o: o.day):  # stable: keeps the recorded order
        days.setdefault(outcome.day, []).append(outcome)
    return days


def worsened_scan(outcomes: Sequence[Outcome], ctx: Context) -> list[Episode]:
    """Episodes while at least one measure's latest response is ``worsened``: each opens on
    the day one becomes so and ends on the day none is any longer (a later response back
    within the MCID of baseline, or better)."""
    latest: dict[str, Outcome] = {}
    episodes: list[Episode] = []
    current: Episode | None = None
    for day, todays in _by_day(o for o in outcomes if o.day <= ctx.today).items():
        for outcome in todays:
            latest[outcome.measure] = outcome
        worse = {o.measure: o for o in todays if o.interpretation == WORSENED}
        still = any(o.interpretation == WORSENED for o in latest.values())
        if current is None and still:
            current = Episode("outcome_worsened", day, [])
            episodes.append(current)
        if current is None:
            continue
        current.evidence.extend(
            MeasureEvidence(WORSENED_RULE, day, o.as_values(), measure=code)
            for code, o in sorted(worse.items())
        )
        if not still:
            current.close(day, NO_LONGER_WORSENED)
            current = None
    return episodes


def not_improving_scan(outcomes: Sequence[Outcome], ctx: Context) -> list[Episode]:
    """From week ``not_improving_weeks`` of the programme: an episode while measures have been
    followed up (some response after a baseline) and none's latest response is ``improved``;
    it ends on the day one is, or with the programme."""
    start, end = ctx.programme_start, ctx.programme_end
    if start is None:
        return []
    check_day = start + timedelta(weeks=int(ctx.thresholds.not_improving_weeks))
    last = min(ctx.today, end) if end is not None else ctx.today
    if check_day > last:
        return []
    grouped = _by_day(o for o in outcomes if o.day <= last)
    latest: dict[str, Outcome] = {}
    for day in [d for d in grouped if d <= check_day]:
        latest.update({o.measure: o for o in grouped[day]})
    episodes: list[Episode] = []
    current: Episode | None = None
    for day in [check_day, *(d for d in grouped if d > check_day)]:
        if day > check_day:
            latest.update({o.measure: o for o in grouped[day]})
        followed = [o for _, o in sorted(latest.items()) if o.interpretation is not None]
        improved = any(o.interpretation == IMPROVED for o in followed)
        if current is None and followed and not improved:
            values = {"measures": [o.as_values() for o in followed], "since": start.isoformat()}
            evidence = [Evidence(NOT_IMPROVING_RULE, day, values)]
            current = Episode("not_improving", day, evidence)
            episodes.append(current)
        elif current is not None and improved:
            current.close(day, NOW_IMPROVING)
            current = None
    if current is not None and end is not None and end <= ctx.today:
        current.close(max(end, current.start), PROGRAMME_ENDED)
    return episodes


def outcome_episodes(outcomes: Sequence[Outcome], ctx: Context, first: date) -> list[Episode]:
    """Both scans' episodes that still matter to a window starting ``first``: ongoing, or
    ended on or after it (earlier ones are stored already and cannot have changed)."""
    found = [*worsened_scan(outcomes, ctx), *not_improving_scan(outcomes, ctx)]
    return [e for e in found if e.end is None or e.end >= first]
