"""One DAG run's work for a bench, timed by phase: land the day's files, open a Connect session, run the
source's job, close the session (what a source DAG's tasks do, without the scheduler).

    timings = timed_run(load_settings(), nyc311.SOURCE, "2022-05-02", "bench-2022-05-02", "nyc311_daily")
"""

from __future__ import annotations

import time
from pathlib import Path

from jobs import phases, pipeline
from jobs.audit import RunContext
from jobs.landing import deliveries, land_file
from jobs.settings import Settings
from jobs.spark_config import build_session

EXPECTATIONS = Path(__file__).resolve().parent.parent / "expectations"


def timed_run(settings: Settings, source: pipeline.Source, day: str, run_id: str, dag_id: str, session_conf: dict[str, str] | None = None) -> dict[str, float]:
    """Seconds per phase of the run (the job's own, ``jobs/phases.py``), plus ``total``.

    ``session_conf``: settings for the run's session (a bench comparing them); none: the engine's defaults."""
    phases.reset()
    started = time.perf_counter()
    with phases.phase("land"):
        for path in deliveries(settings, source.name, day):
            land_file(settings, source.name, day, path, source.columns)
    with phases.phase("session"):
        spark = build_session(settings, f"citylake-{run_id}")
        for name, value in (session_conf or {}).items():
            spark.conf.set(name, value)
    try:
        pipeline.run(spark, settings, RunContext(run_id, dag_id, "bronze_to_gold", day), source, EXPECTATIONS)
    finally:
        with phases.phase("session close"):
            spark.stop()
    timings: dict[str, float] = {}
    for name, seconds in phases.TIMINGS:
        timings[name] = timings.get(name, 0.0) + seconds
    timings["total"] = time.perf_counter() - started
    return timings
