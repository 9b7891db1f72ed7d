"""Chicago crimes: one day of landed files -> bronze -> validated -> silver -> gold ``incident_hotspots_weekly``.

The steps every source shares are in jobs/pipeline.py; this module names the public-safety tables and
suites and builds its gold.

    spark-submit ... jobs/run.py crimes --logical-date 2012-02-14 --expectations-dir expectations
"""

from __future__ import annotations

from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs import lake, pipeline, publish
from jobs.audit import RunContext
from jobs.crimes import columns as raw
from jobs.crimes import transforms
from jobs.settings import Settings

SILVER_TARGET = publish.Target("silver", "public_safety_incidents", "silver_public_safety_incidents.json")
GOLD_TARGET = publish.Target("gold", "incident_hotspots_weekly", "gold_incident_hotspots_weekly.json")


def publish_gold(spark: SparkSession, settings: Settings, run: RunContext, silver_batches: list[DataFrame], source_files: list[str], expectations_dir: Path) -> None:
    """Recompute the weeks the batches touched and the four after them (their trailing mean)."""
    span = pipeline.day_span(silver_batches, transforms.weeks_touched)
    if span is None:
        return
    first_week, last_week = transforms.weeks_to_refresh(*span)
    incidents = lake.read_table(spark, settings, SILVER_TARGET.zone, SILVER_TARGET.table)
    weekly = transforms.incident_hotspots_weekly(incidents, first_week, last_week)
    located = incidents.where(F.col("week").between(first_week, last_week) & F.col("grid_cell").isNotNull()).count()
    pipeline.publish_days(
        spark, settings, run, SOURCE, GOLD_TARGET, weekly, first_week, last_week, source_files, expectations_dir,
        reconciliation={"silver_located_incidents": located}, period_column="week",
    )


SOURCE = pipeline.Source(
    name=raw.SOURCE,
    columns=raw.REQUIRED_COLUMNS,
    bronze=("bronze", "chicago_crimes"),
    batch_suite="crimes_batch.json",
    quarantine=("quarantine", "public_safety_incidents"),
    silver=SILVER_TARGET,
    silver_key=("case_number",),
    typed=transforms.typed_incidents,
    split=transforms.split_by_row_rules,
    to_silver=transforms.public_safety_incidents,
    silver_update_when=None,
    publish_gold=publish_gold,
)


def main(argv: list[str] | None = None) -> None:
    pipeline.main("crimes", SOURCE, argv)
