"""Flags are a function of the data on the data's own timeline: the same logs give the same flags
whatever order and batching they arrive in (flags withdrawn as superseded aside: a flag raised on
partial data is never deleted, it is resolved with that reason).
"""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.flags.conftest import Rec, headache, ndi, normalized, pain, session

DAYS = 16


@st.composite
def histories(draw: st.DrawFn) -> list[Rec]:
    """Two weeks of pain, sessions (some painful), headaches and NDI responses, with gaps."""
    records: list[Rec] = []
    for n in range(DAYS):
        if draw(st.integers(0, 9)) == 0:
            continue  # a quiet day
        records.append(pain(n, draw(st.integers(1, 9)), draw(st.sampled_from(["morning", "now"]))))
        for slot in draw(st.sampled_from([(), ("morning",), ("morning", "evening")])):
            status = draw(st.sampled_from(["completed", "completed", "partial", "skipped"]))
            records.append(
                session(n, slot, status, pain_during=draw(st.integers(0, 7)), exertion=4)
            )
        if draw(st.integers(0, 3)) == 0:
            records.append(headache(n, draw(st.integers(2, 8))))
        if draw(st.integers(0, 3)) == 0:  # better, the same or worse by the MCID (7.5)
            records.append(ndi(n, draw(st.sampled_from([12, 20, 24, 28, 34]))))
    return records


@st.composite
def arrivals(draw: st.DrawFn) -> tuple[list[Rec], list[list[Rec]]]:
    """A history, and the same records shuffled and cut into batches."""
    records = draw(histories())
    shuffled = draw(st.permutations(records))
    cuts = sorted(draw(st.sets(st.integers(1, max(len(shuffled) - 1, 1)), max_size=4)))
    bounds = [0, *cuts, len(shuffled)]
    batches = [shuffled[a:b] for a, b in itertools.pairwise(bounds) if a < b]
    return records, batches


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=arrivals(), baseline=st.sampled_from([3, None]))
def test_same_flags_whatever_order_and_batching(engine, case, baseline):
    records, batches = case
    # Outcome flags from week 2 (the lowest setting), so not_improving can show in 16 days.
    weeks = {"not_improving_weeks": 2}
    at_once = engine(baseline_pain=baseline, thresholds=weeks)
    piecemeal = engine(baseline_pain=baseline, thresholds=weeks)
    now = at_once.at(DAYS, 9)
    at_once.ingest(records, now)
    for batch in batches:
        piecemeal.ingest(batch, now)
    assert normalized(piecemeal.flags()) == normalized(at_once.flags())


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(records=histories())
def test_live_data_and_late_synced_data_give_the_same_flags(engine, records):
    """Day by day as it happens (with the nightly sweep) versus everything synced at the end."""
    live, late = (
        engine(thresholds={"not_improving_weeks": 2}),
        engine(thresholds={"not_improving_weeks": 2}),
    )
    for n in range(DAYS):
        todays = [r for r in records if r.n == n]
        if todays:
            live.ingest(todays, live.at(n, 21))
        live.tick(live.at(n + 1, 0, 5))
    late.ingest(records, late.at(DAYS, 0, 5))
    late.tick(late.at(DAYS, 0, 6))
    assert normalized(live.flags()) == normalized(late.flags())
