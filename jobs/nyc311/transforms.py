"""NYC 311 business rules as pure DataFrame transforms: raw -> typed -> (published, quarantined) -> gold.

Every function takes and returns DataFrames and touches no storage, so unit tests call them directly.
"""

from __future__ import annotations

from datetime import date

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from jobs import row_rules
from jobs.delivered import blank_to_null, number, pick
from jobs.nyc_boroughs import canonical_borough
from jobs.nyc311 import columns as raw
from jobs.themes import theme_of, theme_rules

# 311 publishes wall-clock times of New York; the lake stores UTC and keeps the city's calendar day
# for daily figures, because "requests opened on May 1st" means the city's May 1st.
CITY_TIMEZONE = "America/New_York"
PORTAL_TIMESTAMP = "MM/dd/yyyy hh:mm:ss a"
# The Socrata API's floating timestamps: the same wall-clock time, ISO spelled.
SOCRATA_TIMESTAMP = "yyyy-MM-dd'T'HH:mm:ss.SSS"

# The five boroughs' bounding box (with a small margin): coordinates outside it are data errors.
CITY_BBOX = {"lat_min": 40.47, "lat_max": 40.93, "lon_min": -74.27, "lon_max": -73.68}

# Precise locations are personal data; silver keeps 3 decimals (about 100 m), enough for district maps.
COORDINATE_DECIMALS = 3


# Row rules, checked in this order; a row is quarantined under the first rule it breaks.
ROW_RULES = {
    "malformed_row": "the CSV row does not have the header's shape (kept whole in raw_record)",
    "key_missing": "Unique Key is empty or not a whole number",
    "created_unparseable": f"Created Date does not parse as {PORTAL_TIMESTAMP} (portal) or {SOCRATA_TIMESTAMP} (API)",
    "closed_unparseable": f"Closed Date is present but does not parse as {PORTAL_TIMESTAMP} (portal) or {SOCRATA_TIMESTAMP} (API)",
    "closed_before_created": "Closed Date is before Created Date",
    "coordinates_invalid": "Latitude/Longitude present but not numbers or outside the city's bounding box",
    "duplicate_key_in_file": "the file holds this Unique Key more than once; the latest version is kept",
}


def _parse_local_time(column: Column) -> Column:
    # try_to_timestamp: ANSI mode would otherwise fail the whole batch on one bad value.
    value = blank_to_null(column)
    return F.coalesce(F.try_to_timestamp(value, F.lit(PORTAL_TIMESTAMP)), F.try_to_timestamp(value, F.lit(SOCRATA_TIMESTAMP)))


def typed_requests(bronze_batch: DataFrame, delivered_columns: tuple[str, ...] | None = None) -> DataFrame:
    """Parse the raw string columns the pipeline uses into typed ones, keeping the raw row as JSON.

    ``bronze_batch`` holds the delivered columns as strings, in the portal's or the API's spelling,
    plus bronze's ``_``-prefixed metadata (``_corrupt_record``, ``_source_file``, ``_batch_id``,
    ``_logical_date``), which are kept. ``delivered_columns`` are the file's own columns (bronze holds
    the union of every delivery's); the raw row keeps just those, as delivered, for a replay.

    Values that do not parse become NULL here; :func:`split_by_row_rules` decides what that means.
    """
    rules = theme_rules(raw.SOURCE)

    def delivered(display_name: str) -> Column:
        return pick(bronze_batch, *raw.spellings(display_name))

    created_local = _parse_local_time(delivered(raw.CREATED_DATE))
    closed_local = _parse_local_time(delivered(raw.CLOSED_DATE))
    updated_local = _parse_local_time(delivered(raw.RESOLUTION_UPDATED))
    complaint_type = blank_to_null(delivered(raw.COMPLAINT_TYPE))
    borough = canonical_borough(delivered(raw.BOROUGH))
    metadata_columns = [name for name in bronze_batch.columns if name.startswith("_")]
    return bronze_batch.select(
        *metadata_columns,
        row_rules.raw_record(bronze_batch, delivered_columns).alias("_raw_record"),
        blank_to_null(delivered(raw.UNIQUE_KEY)).try_cast("bigint").alias("request_id"),
        F.to_utc_timestamp(created_local, CITY_TIMEZONE).alias("created_at"),
        F.to_utc_timestamp(closed_local, CITY_TIMEZONE).alias("closed_at"),
        F.to_utc_timestamp(updated_local, CITY_TIMEZONE).alias("resolution_updated_at"),
        F.to_date(created_local).alias("created_date"),
        F.to_date(closed_local).alias("closed_date"),
        blank_to_null(delivered(raw.AGENCY)).alias("agency"),
        complaint_type.alias("complaint_type"),
        blank_to_null(delivered(raw.DESCRIPTOR)).alias("descriptor"),
        theme_of(F.coalesce(complaint_type, F.lit("")), rules).alias("theme"),
        blank_to_null(delivered(raw.STATUS)).alias("status"),
        borough.alias("borough"),
        blank_to_null(delivered(raw.INCIDENT_ZIP)).alias("incident_zip"),
        blank_to_null(delivered(raw.COMMUNITY_BOARD)).alias("community_board"),
        blank_to_null(delivered(raw.CHANNEL)).alias("channel"),
        blank_to_null(delivered(raw.UNIQUE_KEY)).alias("_unique_key_raw"),
        blank_to_null(delivered(raw.CLOSED_DATE)).alias("_closed_raw"),
        blank_to_null(delivered(raw.LATITUDE)).alias("_latitude_raw"),
        blank_to_null(delivered(raw.LONGITUDE)).alias("_longitude_raw"),
        number(blank_to_null(delivered(raw.LATITUDE))).alias("latitude_precise"),
        number(blank_to_null(delivered(raw.LONGITUDE))).alias("longitude_precise"),
    )


def _broken_rule() -> Column:
    """The id of the first row rule a typed row breaks, or NULL."""
    lat, lon = F.col("latitude_precise"), F.col("longitude_precise")
    has_coordinates = F.col("_latitude_raw").isNotNull() | F.col("_longitude_raw").isNotNull()
    coordinates_ok = (
        lat.isNotNull()
        & lon.isNotNull()
        & lat.between(CITY_BBOX["lat_min"], CITY_BBOX["lat_max"])
        & lon.between(CITY_BBOX["lon_min"], CITY_BBOX["lon_max"])
    )
    return (
        F.when(F.col("_corrupt_record").isNotNull(), F.lit("malformed_row"))
        .when(F.col("request_id").isNull(), F.lit("key_missing"))
        .when(F.col("created_at").isNull(), F.lit("created_unparseable"))
        .when(F.col("closed_at").isNull() & F.col("_closed_raw").isNotNull(), F.lit("closed_unparseable"))
        .when(F.col("closed_at") < F.col("created_at"), F.lit("closed_before_created"))
        .when(has_coordinates & ~coordinates_ok, F.lit("coordinates_invalid"))
    )


def split_by_row_rules(typed: DataFrame) -> tuple[DataFrame, DataFrame]:
    """Split a typed batch into rows to publish and rows to quarantine (with ``rule_id`` and ``reason``).

    Every input row lands in exactly one of the two outputs; of a request delivered twice in a file,
    the latest version is published.
    """
    return row_rules.split_by_row_rules(
        typed,
        _broken_rule(),
        ROW_RULES,
        key="request_id",
        newest_first=[F.col("resolution_updated_at").desc_nulls_last(), F.col("closed_at").desc_nulls_last()],
        duplicate_rule="duplicate_key_in_file",
        record_key=F.col("_unique_key_raw"),
        record_key_name="unique_key",
    )


def service_requests(published: DataFrame) -> DataFrame:
    """Silver rows: one per request, typed, UTC, coarsened location, lineage to the raw file."""
    return published.select(
        "request_id",
        "created_at",
        "closed_at",
        "resolution_updated_at",
        "created_date",
        "closed_date",
        "agency",
        "complaint_type",
        "descriptor",
        "theme",
        "status",
        "borough",
        "incident_zip",
        "community_board",
        "channel",
        F.round("latitude_precise", COORDINATE_DECIMALS).alias("latitude"),
        F.round("longitude_precise", COORDINATE_DECIMALS).alias("longitude"),
        F.col("_source_file").alias("source_file"),
        F.col("_batch_id").alias("batch_id"),
    )


# A later delivery of a request replaces the stored row unless it is an older version of it (a
# backfill of an earlier day must not undo a closure that a later day already brought).
SILVER_UPDATE_WHEN = (
    "coalesce(source.resolution_updated_at, source.closed_at, source.created_at) >= "
    "coalesce(target.resolution_updated_at, target.closed_at, target.created_at)"
)


def days_touched(silver_batch: DataFrame) -> tuple[date, date] | None:
    """The first and last city day a batch changes: its requests' created and closed days."""
    bounds = silver_batch.select(
        F.least(F.min("created_date"), F.min("closed_date")).alias("first"),
        F.greatest(F.max("created_date"), F.max("closed_date")).alias("last"),
    ).first()
    return None if bounds["first"] is None else (bounds["first"], bounds["last"])


def service_requests_daily(silver: DataFrame, first_day: date, last_day: date) -> DataFrame:
    """Gold rows for ``first_day``..``last_day`` per city day x borough x theme.

    - requests_opened: requests created that day;
    - requests_closed: requests closed that day;
    - median_hours_to_close: median of (closed - created) over the requests closed that day;
    - still_open_end_of_day: requests created on or before that day and not closed by its end.
    Days and groups with nothing opened, closed or open are left out.
    """
    group = ["borough", "theme"]
    opened = silver.groupBy(F.col("created_date").alias("day"), *group).agg(F.count("*").alias("opened"))
    closed = (
        silver.where(F.col("closed_date").isNotNull())
        .groupBy(F.col("closed_date").alias("day"), *group)
        .agg(
            F.count("*").alias("closed"),
            F.median((F.col("closed_at").cast("long") - F.col("created_at").cast("long")) / 3600.0).alias("median_hours"),
        )
    )
    daily = opened.join(closed, ["day", *group], "full").na.fill(0, ["opened", "closed"])
    # Days of the window with no event still carry the requests open from before: add them as empty rows.
    days = silver.sparkSession.range(1).select(
        F.explode(F.sequence(F.lit(first_day), F.lit(last_day))).alias("day")
    )
    groups = daily.select(*group).distinct()
    calendar = days.crossJoin(groups).join(daily, ["day", *group], "left").na.fill(0, ["opened", "closed"])
    history = daily.where(F.col("day") < F.lit(first_day))
    timeline = calendar.unionByName(history)
    running = Window.partitionBy(*group).orderBy("day").rowsBetween(Window.unboundedPreceding, Window.currentRow)
    return (
        timeline.withColumn("still_open_end_of_day", F.sum(F.col("opened") - F.col("closed")).over(running))
        .where(F.col("day").between(F.lit(first_day), F.lit(last_day)))
        .where((F.col("opened") > 0) | (F.col("closed") > 0) | (F.col("still_open_end_of_day") > 0))
        .select(
            "day",
            *group,
            F.col("opened").cast("long").alias("requests_opened"),
            F.col("closed").cast("long").alias("requests_closed"),
            F.col("median_hours").alias("median_hours_to_close"),
            F.col("still_open_end_of_day").cast("long").alias("still_open_end_of_day"),
        )
    )
