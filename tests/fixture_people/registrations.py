"""Fixture source: residents' registrations (synthetic people), with direct identifiers to pseudonymise."""

from __future__ import annotations

from datetime import date

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs import pipeline, row_rules
from jobs.landing import DeliveryColumns

SOURCE = "fixture_registrations"
HEADER = ("person_id", "full_name", "email", "phone", "borough", "registered_at")
REQUIRED_COLUMNS = DeliveryColumns(spellings=(HEADER,), layouts=(HEADER,))


def typed(bronze: DataFrame, delivered_columns: tuple[str, ...]) -> DataFrame:
    # The name, e-mail and phone are not selected: their declared treatment is "drop".
    return bronze.select(
        *[name for name in bronze.columns if name.startswith("_")],
        row_rules.raw_record(bronze, delivered_columns).alias("_raw_record"),
        F.col("person_id"),
        F.col("borough"),
        F.to_date(F.try_to_timestamp(F.col("registered_at"))).alias("registered_date"),
    )


def split(typed_rows: DataFrame) -> tuple[DataFrame, DataFrame]:
    broken = F.when(F.col("person_id").isNull(), F.lit("missing_person")).when(F.col("registered_date").isNull(), F.lit("bad_date"))
    return row_rules.split_by_row_rules(
        typed_rows, broken, {"missing_person": "no person_id", "bad_date": "registered_at is not a time", "repeated": "repeated person"},
        "person_id", [F.col("registered_date").desc()], "repeated", F.col("person_id"), "record_key",
    )


def to_silver(published: DataFrame) -> DataFrame:
    return published.select("person_id", "borough", "registered_date")


def daily(silver: DataFrame, first: date, last: date) -> DataFrame:
    return (
        silver.where(F.col("registered_date").between(first, last))
        .groupBy(F.col("registered_date").alias("day"), "borough")
        .agg(F.count("*").alias("registrations"))
    )


SOURCE_SPEC = pipeline.declared_source(
    SOURCE, typed=typed, split=split, to_silver=to_silver, silver_update_when=None,
    gold=pipeline.Gold(period_column="day", silver_period_column="registered_date", transform=daily, reconciled_as="silver_registrations"),
)
