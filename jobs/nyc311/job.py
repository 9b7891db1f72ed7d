"""NYC 311 service requests: one day of landed files -> bronze -> validated -> silver -> gold.

One application does all of a day's Spark steps, because starting a Spark application costs more
than processing a day of 311 (see README, "Submission cost"). The steps every source shares are in
jobs/pipeline.py; this module names 311's tables and suites and builds its gold.

    spark-submit ... jobs/run.py nyc311 --logical-date 2022-05-01 --expectations-dir expectations
"""

from __future__ import annotations

from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs import lake, pipeline, publish
from jobs.audit import RunContext
from jobs.nyc311 import columns as raw
from jobs.nyc311 import transforms
from jobs.settings import Settings

SILVER_TARGET = publish.Target("silver", "service_requests", "silver_service_requests.json")
GOLD_TARGET = publish.Target("gold", "service_requests_daily", "gold_service_requests_daily.json")


def publish_gold(spark: SparkSession, settings: Settings, run: RunContext, silver_batches: list[DataFrame], source_files: list[str], expectations_dir: Path) -> None:
    """Recompute the gold days the batches changed, and every later day already in gold, through the gate.

    Later days depend on earlier ones through "still open at end of day", so a backfill of an early
    day refreshes them too; replacing exactly that day range keeps reruns idempotent.
    """
    span = pipeline.day_span(silver_batches, transforms.days_touched)
    if span is None:
        return
    first_day, last_day = span
    if lake.table_exists(spark, settings, GOLD_TARGET.zone, GOLD_TARGET.table):
        latest_in_gold = lake.read_table(spark, settings, GOLD_TARGET.zone, GOLD_TARGET.table).agg(F.max("day")).first()[0]
        if latest_in_gold and latest_in_gold > last_day:
            last_day = latest_in_gold
    silver = lake.read_table(spark, settings, SILVER_TARGET.zone, SILVER_TARGET.table)
    daily = transforms.service_requests_daily(silver, first_day, last_day)
    created_in_range = silver.where(F.col("created_date").between(first_day, last_day)).count()
    pipeline.publish_days(
        spark, settings, run, SOURCE, GOLD_TARGET, daily, first_day, last_day, source_files, expectations_dir,
        reconciliation={"silver_requests_created": created_in_range},
    )


SOURCE = pipeline.Source(
    name=raw.SOURCE,
    columns=raw.REQUIRED_COLUMNS,
    bronze=("bronze", "nyc311_service_requests"),
    batch_suite="nyc311_batch.json",
    quarantine=("quarantine", "service_requests"),
    silver=SILVER_TARGET,
    silver_key=("request_id",),
    typed=transforms.typed_requests,
    split=transforms.split_by_row_rules,
    to_silver=transforms.service_requests,
    silver_update_when=transforms.SILVER_UPDATE_WHEN,
    publish_gold=publish_gold,
)


def main(argv: list[str] | None = None) -> None:
    pipeline.main("nyc311", SOURCE, argv)
