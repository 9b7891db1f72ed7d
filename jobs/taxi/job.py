"""NYC TLC yellow-taxi trips: one day of landed files -> bronze -> validated -> silver -> gold ``mobility_daily``.

The steps every source shares are in jobs/pipeline.py; this module names the taxi tables and suites
and builds its gold.

    spark-submit ... jobs/run.py taxi --logical-date 2019-01-31 --expectations-dir expectations
"""

from __future__ import annotations

from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs import lake, pipeline, publish
from jobs.audit import RunContext
from jobs.settings import Settings
from jobs.taxi import columns as raw
from jobs.taxi import transforms

SILVER_TARGET = publish.Target("silver", "taxi_trips", "silver_taxi_trips.json")
GOLD_TARGET = publish.Target("gold", "mobility_daily", "gold_mobility_daily.json")


def publish_gold(spark: SparkSession, settings: Settings, run: RunContext, silver_batches: list[DataFrame], source_files: list[str], expectations_dir: Path) -> None:
    """Recompute ``mobility_daily`` for the pick-up days the batches touched (days are independent)."""
    span = pipeline.day_span(silver_batches, transforms.days_touched)
    if span is None:
        return
    first_day, last_day = span
    trips = lake.read_table(spark, settings, SILVER_TARGET.zone, SILVER_TARGET.table)
    daily = transforms.mobility_daily(trips, first_day, last_day)
    trips_in_range = trips.where(F.col("pickup_date").between(first_day, last_day)).count()
    pipeline.publish_days(
        spark, settings, run, SOURCE, GOLD_TARGET, daily, first_day, last_day, source_files, expectations_dir,
        reconciliation={"silver_trips": trips_in_range},
    )


SOURCE = pipeline.Source(
    name=raw.SOURCE,
    columns=raw.REQUIRED_COLUMNS,
    bronze=("bronze", "tlc_yellow_trips"),
    batch_suite="taxi_batch.json",
    quarantine=("quarantine", "taxi_trips"),
    silver=SILVER_TARGET,
    # The trip id is made from the pick-up time, so its day is in the key too: the MERGE prunes by it.
    silver_key=("pickup_date", "trip_id"),
    typed=transforms.typed_trips,
    split=transforms.split_by_row_rules,
    to_silver=transforms.taxi_trips,
    silver_update_when=None,
    publish_gold=publish_gold,
    silver_partition_by=("pickup_date",),
)


def main(argv: list[str] | None = None) -> None:
    pipeline.main("taxi", SOURCE, argv)
