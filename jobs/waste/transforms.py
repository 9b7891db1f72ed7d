"""DSNY monthly tonnage as pure DataFrame transforms: raw -> typed -> (published, quarantined) -> gold.

Every function takes and returns DataFrames and touches no storage, so unit tests call them directly.
"""

from __future__ import annotations

from datetime import date

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from jobs import row_rules
from jobs.delivered import blank_to_null, number, pick
from jobs.nyc_boroughs import UNSPECIFIED_BOROUGH, canonical_borough
from jobs.themes import theme_of, theme_rules
from jobs.waste import columns as raw

MONTH_FORMAT = "yyyy / MM"
KEY = ("month", "borough", "community_district")

ROW_RULES = {
    "malformed_row": "the CSV row does not have the header's shape (kept whole in raw_record)",
    "month_unparseable": f"MONTH is missing or not {MONTH_FORMAT}",
    "district_unknown": "BOROUGH is not one of the five boroughs, or COMMUNITYDISTRICT is missing",
    "tonnage_unparseable": "a tonnage is present but not a number",
    "tonnage_negative": "a tonnage is negative",
    "duplicate_district_month_in_file": "the file holds this district and month more than once; one is kept",
}


def typed_tonnage(bronze_batch: DataFrame, delivered_columns: tuple[str, ...] | None = None) -> DataFrame:
    """Parse the delivered strings (portal or API spelling) into a typed row per district and month."""

    def delivered(name: str) -> Column:
        return blank_to_null(pick(bronze_batch, name, name.lower()))

    month_text = delivered("MONTH")
    tons = {name: delivered(name) for name in raw.TONNAGES}
    parsed = {name: number(value) for name, value in tons.items()}
    unparseable = F.lit(False)
    negative = F.lit(False)
    for name, value in tons.items():
        unparseable = unparseable | (value.isNotNull() & parsed[name].isNull())
        negative = negative | (parsed[name] < 0)
    organics = sum((F.coalesce(parsed[name], F.lit(0.0)) for name in raw.ORGANICS), F.lit(0.0))
    district = delivered("COMMUNITYDISTRICT")
    metadata_columns = [name for name in bronze_batch.columns if name.startswith("_")]
    return bronze_batch.select(
        *metadata_columns,
        row_rules.raw_record(bronze_batch, delivered_columns).alias("_raw_record"),
        F.to_date(F.try_to_timestamp(month_text, F.lit(MONTH_FORMAT))).alias("month"),
        canonical_borough(delivered("BOROUGH")).alias("borough"),
        # District numbers as the city writes them, two digits: "1" and "01" are one district.
        F.when(district.rlike("^[0-9]+$"), F.lpad(district, 2, "0")).otherwise(district).alias("community_district"),
        # An empty stream was not collected: zero tons.
        F.coalesce(parsed["REFUSETONSCOLLECTED"], F.lit(0.0)).alias("refuse_tons"),
        F.coalesce(parsed["PAPERTONSCOLLECTED"], F.lit(0.0)).alias("paper_tons"),
        F.coalesce(parsed["MGPTONSCOLLECTED"], F.lit(0.0)).alias("mgp_tons"),
        organics.alias("organics_tons"),
        theme_of(F.lit("tonnage"), theme_rules(raw.SOURCE)).alias("theme"),
        unparseable.alias("_tonnage_unparseable"),
        negative.alias("_tonnage_negative"),
        month_text.alias("_month_raw"),
    )


def concat_key() -> Column:
    """A district-month as one value: the key row rules keep one row per."""
    return F.concat_ws("|", F.col("month").cast("string"), F.col("borough"), F.col("community_district"))


def _broken_rule() -> Column:
    return (
        F.when(F.col("_corrupt_record").isNotNull(), F.lit("malformed_row"))
        .when(F.col("month").isNull(), F.lit("month_unparseable"))
        .when((F.col("borough") == UNSPECIFIED_BOROUGH) | F.col("community_district").isNull(), F.lit("district_unknown"))
        .when(F.col("_tonnage_unparseable"), F.lit("tonnage_unparseable"))
        .when(F.col("_tonnage_negative"), F.lit("tonnage_negative"))
    )


def split_by_row_rules(typed: DataFrame) -> tuple[DataFrame, DataFrame]:
    """``(published, quarantined)``; of a district-month delivered twice in one file, one row is kept."""
    return row_rules.split_by_row_rules(
        typed.withColumn("_district_month", concat_key()),
        _broken_rule(),
        ROW_RULES,
        key="_district_month",
        newest_first=[],
        duplicate_rule="duplicate_district_month_in_file",
        record_key=F.coalesce(F.col("_district_month"), F.col("_month_raw")),
        record_key_name="district_month",
    )


def waste_tonnage(published: DataFrame) -> DataFrame:
    """Silver rows: one per month and community district, tons per stream, lineage to the raw file."""
    return published.select(
        "month",
        "borough",
        "community_district",
        "refuse_tons",
        "paper_tons",
        "mgp_tons",
        "organics_tons",
        (F.col("refuse_tons") + F.col("paper_tons") + F.col("mgp_tons") + F.col("organics_tons")).alias("total_tons"),
        "theme",
        F.col("_source_file").alias("source_file"),
        F.col("_batch_id").alias("batch_id"),
    )


def waste_diversion_monthly(tonnage: DataFrame, first_month: date, last_month: date) -> DataFrame:
    """Gold: per month and community district, tons per stream, diversion rate and its change on a year earlier.

    The diversion rate is recycled (paper, metal/glass/plastic) and organics over all tons collected.
    The change is this month's rate minus the rate of the same month a year earlier (NULL without one),
    and the change of total tons as a share of that month's.
    """
    rated = tonnage.withColumn(
        "diversion_rate", F.when(F.col("total_tons") > 0, (F.col("paper_tons") + F.col("mgp_tons") + F.col("organics_tons")) / F.col("total_tons"))
    )
    year_before = rated.select(
        F.add_months("month", 12).alias("month"), "borough", "community_district",
        F.col("diversion_rate").alias("_rate_year_before"), F.col("total_tons").alias("_tons_year_before"),
    )
    return (
        rated.where(F.col("month").between(first_month, last_month))
        .join(year_before, list(KEY), "left")
        .select(
            *KEY,
            "theme",
            *[F.round(name, 3).alias(name) for name in ("refuse_tons", "paper_tons", "mgp_tons", "organics_tons", "total_tons")],
            F.round("diversion_rate", 6).alias("diversion_rate"),
            F.round(F.col("diversion_rate") - F.col("_rate_year_before"), 6).alias("diversion_rate_change"),
            F.round(F.when(F.col("_tons_year_before") > 0, F.col("total_tons") / F.col("_tons_year_before") - 1), 6).alias("total_tons_change"),
        )
    )


def months_to_refresh(first: date, last: date) -> tuple[date, date]:
    """A batch's months and the twelve after them: a month's change against a year earlier reads them."""
    return first, date(last.year + 1, last.month, 1)

