"""Wall time of a run's phases, logged as they end, so that anyone reading a task log (or
``bench/run_cost.py``) sees where a run's time goes.

    with phase("bronze"):
        ...

Each ended phase is logged (``phase bronze: 1.23 s``) and kept in :data:`TIMINGS` until :func:`reset`:
a process runs one job at a time, so the list is that job's.
"""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager

log = logging.getLogger("citylake.phases")

TIMINGS: list[tuple[str, float]] = []


@contextmanager
def phase(name: str):
    started = time.perf_counter()
    try:
        yield
    finally:
        seconds = time.perf_counter() - started
        TIMINGS.append((name, seconds))
        log.info("phase %s: %.2f s", name, seconds)


def reset() -> None:
    TIMINGS.clear()
