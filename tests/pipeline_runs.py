"""Running a source's Spark job in the test session, as the DAG's two tasks do: land the files, then the job."""

from __future__ import annotations

from pathlib import Path

from jobs import pipeline
from jobs.audit import RunContext
from jobs.landing import land_file
from jobs.settings import PROJECT_ROOT

EXPECTATIONS = PROJECT_ROOT / "expectations"


def land_and_run(spark, settings, source: pipeline.Source, dag_id: str, day: str, files: list[Path], run_id: str = "run-1") -> None:
    for path in files:
        land_file(settings, source.name, day, path, source.columns)
    pipeline.run(spark, settings, RunContext(run_id, dag_id, "bronze_to_gold", day), source, EXPECTATIONS)
