"""The scheduler's job that spreads page reads' audit events into one row each."""

from __future__ import annotations

from datetime import datetime

from server.audit.pages import spread_pages
from server.commit import committed

# Pages moved per transaction: a therapist's page of 200 patients is 201 events, so a batch is
# about 10k rows, a fraction of a second, and SQLite's write lock is released between batches.
PAGES_PER_BATCH = 50


def spread_pages_job(now: datetime | None = None, batch: int = PAGES_PER_BATCH) -> int:
    """Spread every waiting page's events into ``audit_events``, a batch per transaction;
    returns how many events."""
    total = 0
    while moved := _spread_batch(batch):
        total += moved
    return total


def _spread_batch(batch: int) -> int:
    with committed():
        return spread_pages(batch)
