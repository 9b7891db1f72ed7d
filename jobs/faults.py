"""Named fault points: where the reliability tests kill a job the way an operator's ``kill -9`` or an OOM killer would.

A job calls ``point("landing.rewritten")`` between two steps whose half-done state a crash can leave behind.
When the environment variable ``CITYLAKE_KILL_AT`` names that point, the process kills itself with SIGKILL
there: no ``finally``, no ``atexit``, no flush, exactly what a killed task leaves. Unset (always, outside the
tests), a point is one dictionary lookup. The same idea as FreeBSD's fail(9) or TiKV's fail-rs: the fault is
placed by name in the real code path, not simulated beside it.
"""

from __future__ import annotations

import os
import signal

KILL_AT = "CITYLAKE_KILL_AT"


def point(name: str) -> None:
    """Die here, at once and uncleanly, when ``CITYLAKE_KILL_AT`` is ``name``."""
    if os.environ.get(KILL_AT) == name:
        os.kill(os.getpid(), signal.SIGKILL)
