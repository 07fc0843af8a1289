"""Thin job wrappers: evaluating queued patients (frequent tick) and the periodic flag sweep."""

from __future__ import annotations

import logging
from datetime import datetime

from server.clock import utcnow
from server.commit import committed
from server.flags.queue import ensure_sweep_states
from server.flags.services import evaluate_due

log = logging.getLogger(__name__)
# Patients evaluated per transaction. Each holds its patients' state rows locked until commit,
# and an ingest for one of them waits on that lock: one patient per transaction keeps the wait
# at one evaluation (~10-40 ms), and SQLite's write lock is released as often.
PENDING_BATCH = 1
SWEEP_BATCH = PENDING_BATCH


def run_pending_evaluations(now: datetime | None = None, batch_size: int = PENDING_BATCH) -> int:
    """Evaluate every patient due by ``now`` (queued by ingest, or a local day became complete),
    committing after each batch; returns how many. Cheap when nothing is due (one indexed read).
    """
    now = now or utcnow()
    total = 0
    while True:
        with committed():
            swept = evaluate_due(now=now, batch_size=batch_size)
        if not swept:
            break
        total += swept
    if total:
        log.info("flag evaluations", extra={"patients": total})
    return total


def sweep_job(now: datetime | None = None, batch_size: int = SWEEP_BATCH) -> int:
    """The periodic sweep: give every started programme an evaluation state, then evaluate
    every patient due as of ``now``; returns how many.
    """
    now = now or utcnow()
    with committed():
        ensure_sweep_states(now)
    total = run_pending_evaluations(now, batch_size)
    log.info("flag sweep", extra={"patients": total})
    return total
