"""Thin job wrapper: the flag sweep, committing after each batch of patients."""

from __future__ import annotations

import logging
from datetime import datetime

from server.clock import utcnow
from server.extensions import db
from server.flags.services import sweep_flags

log = logging.getLogger(__name__)
SWEEP_BATCH = 200


def sweep_job(now: datetime | None = None, batch_size: int = SWEEP_BATCH) -> int:
    """Sweep every patient whose time-driven rules are due as of ``now``; returns how many."""
    now = now or utcnow()
    total = 0
    while True:
        try:
            swept = sweep_flags(now=now, batch_size=batch_size)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        total += swept
        if swept == 0:
            break
    log.info("flag sweep", extra={"patients": total})
    return total
