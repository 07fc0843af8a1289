"""The cyclic garbage collector held off while a job runs one bounded batch."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """No automatic collection inside the block: a batch's rows, contexts and plans live until
    it ends and are then freed by their reference counts. Collected meanwhile, they survived
    into the older generations and set off full collections of the whole heap (about a
    quarter of a 10k-reminder tick's CPU). Cycles the block leaves are collected as usual
    after it. Nested or concurrent blocks leave the collector as the outermost found it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
