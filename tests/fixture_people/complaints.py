"""Fixture source: complaints by the same synthetic residents, naming them by the same identifier."""

from __future__ import annotations

from datetime import date

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs import pipeline, row_rules
from jobs.landing import DeliveryColumns

SOURCE = "fixture_complaints"
HEADER = ("complaint_id", "person_id", "created_at", "topic")
REQUIRED_COLUMNS = DeliveryColumns(spellings=(HEADER,), layouts=(HEADER,))


def typed(bronze: DataFrame, delivered_columns: tuple[str, ...]) -> DataFrame:
    return bronze.select(
        *[name for name in bronze.columns if name.startswith("_")],
        row_rules.raw_record(bronze, delivered_columns).alias("_raw_record"),
        "complaint_id", "person_id",
        F.to_date(F.try_to_timestamp(F.col("created_at"))).alias("created_date"),
        "topic",
    )


def split(typed_rows: DataFrame) -> tuple[DataFrame, DataFrame]:
    broken = F.when(F.col("complaint_id").isNull() | F.col("person_id").isNull(), F.lit("missing_key"))
    return row_rules.split_by_row_rules(
        typed_rows, broken, {"missing_key": "no complaint or person id", "repeated": "repeated complaint"},
        "complaint_id", [F.col("created_date").desc()], "repeated", F.col("complaint_id"), "record_key",
    )


def to_silver(published: DataFrame) -> DataFrame:
    return published.select("complaint_id", "person_id", "created_date", "topic")


def daily(silver: DataFrame, first: date, last: date) -> DataFrame:
    # Distinct complainants are counted on pseudonyms: joins and counts work without clear identifiers.
    return (
        silver.where(F.col("created_date").between(first, last))
        .groupBy(F.col("created_date").alias("day"))
        .agg(F.count("*").alias("complaints"), F.countDistinct("person_id").alias("complainants"))
    )


SOURCE_SPEC = pipeline.declared_source(
    SOURCE, typed=typed, split=split, to_silver=to_silver, silver_update_when=None,
    gold=pipeline.Gold(period_column="day", silver_period_column="created_date", transform=daily, reconciled_as="silver_complaints"),
)
