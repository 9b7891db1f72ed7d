"""DSNY monthly tonnage: one month's landed files -> bronze -> validated -> silver -> gold ``waste_diversion_monthly``.

The steps every source shares are in jobs/pipeline.py; this module names the waste tables and suites
and builds its gold.

    spark-submit ... jobs/run.py waste --logical-date 2022-05-01 --expectations-dir expectations
"""

from __future__ import annotations

from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs import lake, pipeline, publish
from jobs.audit import RunContext
from jobs.settings import Settings
from jobs.waste import columns as raw
from jobs.waste import transforms

SILVER_TARGET = publish.Target("silver", "waste_tonnage", "silver_waste_tonnage.json")
GOLD_TARGET = publish.Target("gold", "waste_diversion_monthly", "gold_waste_diversion_monthly.json")


def publish_gold(spark: SparkSession, settings: Settings, run: RunContext, silver_batches: list[DataFrame], source_files: list[str], expectations_dir: Path) -> None:
    """Recompute the months the batches touched and the twelve after them (their change on a year earlier)."""
    span = pipeline.day_span(silver_batches, transforms.months_touched)
    if span is None:
        return
    first_month, last_month = transforms.months_to_refresh(*span)
    tonnage = lake.read_table(spark, settings, SILVER_TARGET.zone, SILVER_TARGET.table)
    monthly = transforms.waste_diversion_monthly(tonnage, first_month, last_month)
    district_months = tonnage.where(F.col("month").between(first_month, last_month)).count()
    pipeline.publish_days(
        spark, settings, run, SOURCE, GOLD_TARGET, monthly, first_month, last_month, source_files, expectations_dir,
        reconciliation={"silver_district_months": district_months}, period_column="month",
    )


SOURCE = pipeline.Source(
    name=raw.SOURCE,
    columns=raw.REQUIRED_COLUMNS,
    bronze=("bronze", "dsny_monthly_tonnage"),
    batch_suite="waste_batch.json",
    quarantine=("quarantine", "waste_tonnage"),
    silver=SILVER_TARGET,
    silver_key=transforms.KEY,
    typed=transforms.typed_tonnage,
    split=transforms.split_by_row_rules,
    to_silver=transforms.waste_tonnage,
    silver_update_when=None,
    publish_gold=publish_gold,
)


def main(argv: list[str] | None = None) -> None:
    pipeline.main("waste", SOURCE, argv)
