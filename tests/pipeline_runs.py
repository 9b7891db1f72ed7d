"""Running a source's Spark job in the test session, as the DAG's two tasks do: land the files, then the job."""

from __future__ import annotations

from datetime import date, datetime
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


def bronze_rows(spark, columns: tuple[str, ...], rows: list[dict], source: str, file_name: str):
    """Delivered rows as bronze holds them: every delivered column a string, plus the lineage columns
    (delivered for 2022-05-02), for row-rule tests that need no Delta."""
    data = [(*[row.get(name) for name in columns], None, file_name, f"{source}-test", datetime(2022, 5, 3), date(2022, 5, 2)) for row in rows]
    ddl = ", ".join(f"`{name}` string" for name in columns) + ", _corrupt_record string, _source_file string, _batch_id string, _ingested_at timestamp, _logical_date date"
    return spark.createDataFrame(data, ddl)


def source_table_rows(spark, settings, source: pipeline.Source) -> dict[str, list[str]]:
    """Every row of each table the source's pipeline writes (bronze, silver, quarantine, gold), as sorted text:
    what a rerun of a day must leave exactly as it was (bronze keeps the first run's ingestion time)."""
    from jobs import lake
    from jobs.declarations import registry

    return {
        name: sorted(repr(sorted(row.asDict().items())) for row in lake.read_table(spark, settings, *name.split(".")).collect())
        for name in registry().ingestions[source.name].tables
        if lake.table_exists(spark, settings, *name.split("."))
    }
