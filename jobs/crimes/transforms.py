"""Chicago crimes as pure DataFrame transforms: raw -> typed -> (published, quarantined) -> gold hotspots.

Past bronze an incident's place is a grid cell only: exact coordinates and the block never reach
silver. Every function takes and returns DataFrames and touches no storage, so unit tests call them.

Hotspot statistic (``z_score``): for one week and offence group, a cell's incident count against the
counts of every cell with at least one incident of that group that week, as a z-score (count minus
their mean, over their standard deviation; NULL when fewer than two cells or no spread). A cell is
flagged a hotspot when its z-score is at least 1.96 (the top 2.5 % under a normal spread) and it had
at least 3 incidents. The trailing 4-week mean is the cell's mean count over the four weeks before.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from importlib import resources

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from jobs import row_rules
from jobs.crimes import columns as raw
from jobs.delivered import blank_to_null, number, pick
from jobs.themes import theme_of, theme_rules

CITY_TIMEZONE = "America/Chicago"
PORTAL_TIMESTAMP = "MM/dd/yyyy hh:mm:ss a"
API_TIMESTAMP = "yyyy-MM-dd'T'HH:mm:ss.SSS"
# Chicago's bounding box, with a margin: coordinates outside are data errors.
CITY_BBOX = {"lat_min": 41.6, "lat_max": 42.1, "lon_min": -87.95, "lon_max": -87.5}
# Grid cells of 0.005 degrees of latitude by 0.0065 of longitude: about 550 m square in Chicago.
CELL_LAT, CELL_LON = 0.005, 0.0065
HOTSPOT_Z, HOTSPOT_MIN_INCIDENTS = 1.96, 3
TRAILING_WEEKS = 4
OTHER_GROUP = "other"

ROW_RULES = {
    "malformed_row": "the CSV row does not have the header's shape (kept whole in raw_record)",
    "key_missing": "case_number is empty",
    "date_unparseable": f"date does not parse as {API_TIMESTAMP} (API) or {PORTAL_TIMESTAMP} (portal)",
    "coordinates_invalid": "latitude/longitude present but not numbers or outside Chicago",
    "duplicate_case_in_file": "the file holds this case number more than once; one row is kept",
}


def offence_groups() -> list[tuple[str, str]]:
    """``(primary type, offence group)`` pairs from the versioned mapping (jobs/reference/offence_groups.csv)."""
    text = resources.files("jobs.reference").joinpath("offence_groups.csv").read_text(encoding="utf-8")
    return [(row["primary_type"], row["offence_group"]) for row in csv.DictReader(io.StringIO(text))]


def _offence_group(primary_type: Column) -> Column:
    group = F.lit(OTHER_GROUP)
    for name, offence_group in offence_groups():
        group = F.when(F.upper(primary_type) == name, F.lit(offence_group)).otherwise(group)
    return group


def typed_incidents(bronze_batch: DataFrame, delivered_columns: tuple[str, ...] | None = None) -> DataFrame:
    """Parse the delivered strings (API or portal spelling) into typed incidents, keeping the raw row."""

    def delivered(field: str) -> Column:
        return blank_to_null(pick(bronze_batch, *raw.spellings(field)))

    text = delivered("date")
    local = F.coalesce(F.try_to_timestamp(text, F.lit(API_TIMESTAMP)), F.try_to_timestamp(text, F.lit(PORTAL_TIMESTAMP)))
    primary_type = F.upper(delivered("primary_type"))
    metadata_columns = [name for name in bronze_batch.columns if name.startswith("_")]
    return bronze_batch.select(
        *metadata_columns,
        row_rules.raw_record(bronze_batch, delivered_columns).alias("_raw_record"),
        delivered("case_number").alias("case_number"),
        F.to_utc_timestamp(local, CITY_TIMEZONE).alias("occurred_at"),
        F.to_date(local).alias("occurred_date"),
        primary_type.alias("primary_type"),
        _offence_group(primary_type).alias("offence_group"),
        theme_of(F.coalesce(primary_type, F.lit("")), theme_rules(raw.SOURCE)).alias("theme"),
        F.lower(delivered("arrest")).isin("true", "t", "1").alias("arrest"),
        F.lower(delivered("domestic")).isin("true", "t", "1").alias("domestic"),
        delivered("ward").try_cast("int").alias("ward"),
        delivered("latitude").alias("_latitude_raw"),
        delivered("longitude").alias("_longitude_raw"),
        number(delivered("latitude")).alias("_latitude"),
        number(delivered("longitude")).alias("_longitude"),
    )


def _broken_rule() -> Column:
    lat, lon = F.col("_latitude"), F.col("_longitude")
    has_coordinates = F.col("_latitude_raw").isNotNull() | F.col("_longitude_raw").isNotNull()
    inside = lat.between(CITY_BBOX["lat_min"], CITY_BBOX["lat_max"]) & lon.between(CITY_BBOX["lon_min"], CITY_BBOX["lon_max"])
    return (
        F.when(F.col("_corrupt_record").isNotNull(), F.lit("malformed_row"))
        .when(F.col("case_number").isNull(), F.lit("key_missing"))
        .when(F.col("occurred_at").isNull(), F.lit("date_unparseable"))
        .when(has_coordinates & ~F.coalesce(inside, F.lit(False)), F.lit("coordinates_invalid"))
    )


def split_by_row_rules(typed: DataFrame) -> tuple[DataFrame, DataFrame]:
    """``(published, quarantined)``; an incident without coordinates is published, with no cell."""
    return row_rules.split_by_row_rules(
        typed,
        _broken_rule(),
        ROW_RULES,
        key="case_number",
        newest_first=[],
        duplicate_rule="duplicate_case_in_file",
        record_key=F.col("case_number"),
        record_key_name="case_number",
    )


def grid_cell(latitude: Column, longitude: Column) -> tuple[Column, Column, Column]:
    """``(cell id, cell centre latitude, cell centre longitude)``: the only place silver keeps."""
    row, column = F.floor(latitude / CELL_LAT), F.floor(longitude / CELL_LON)
    return (
        F.concat_ws("_", row.cast("string"), column.cast("string")),
        F.round((row + 0.5) * CELL_LAT, 5),
        F.round((column + 0.5) * CELL_LON, 5),
    )


def public_safety_incidents(published: DataFrame) -> DataFrame:
    """Silver rows: one per case, UTC with the city's day and week, grid cell instead of coordinates."""
    cell, cell_lat, cell_lon = grid_cell(F.col("_latitude"), F.col("_longitude"))
    located = F.col("_latitude").isNotNull() & F.col("_longitude").isNotNull()
    return published.select(
        "case_number",
        "occurred_at",
        "occurred_date",
        F.date_trunc("week", "occurred_date").cast("date").alias("week"),
        "primary_type",
        "offence_group",
        "theme",
        F.when(located, cell).alias("grid_cell"),
        F.when(located, cell_lat).alias("cell_latitude"),
        F.when(located, cell_lon).alias("cell_longitude"),
        "arrest",
        "domestic",
        "ward",
        F.col("_source_file").alias("source_file"),
        F.col("_batch_id").alias("batch_id"),
    )


def weeks_to_refresh(first: date, last: date) -> tuple[date, date]:
    """A batch's weeks and the four after them: their trailing mean reads the batch's weeks."""
    return first, last + timedelta(weeks=TRAILING_WEEKS)


def incident_hotspots_weekly(incidents: DataFrame, first_week: date, last_week: date) -> DataFrame:
    """Gold: per week, grid cell and offence group: incidents, trailing 4-week mean, z-score, hotspot flag."""
    located = incidents.where(F.col("grid_cell").isNotNull())
    weekly = located.groupBy("week", "grid_cell", "cell_latitude", "cell_longitude", "offence_group", "theme").agg(F.count("*").alias("incidents"))
    earlier = weekly.select(
        F.col("week").alias("_earlier_week"), F.col("grid_cell").alias("_cell"), F.col("offence_group").alias("_group"), F.col("incidents").alias("_earlier")
    )
    in_range = weekly.where(F.col("week").between(first_week, last_week))
    trailing = (
        in_range.join(
            earlier,
            (F.col("_cell") == F.col("grid_cell"))
            & (F.col("_group") == F.col("offence_group"))
            & F.col("_earlier_week").between(F.date_sub("week", 7 * TRAILING_WEEKS), F.date_sub("week", 7)),
            "left",
        )
        .groupBy("week", "grid_cell", "offence_group")
        .agg(F.coalesce(F.sum("_earlier"), F.lit(0)).alias("_earlier_total"))
    )
    same_week = Window.partitionBy("week", "offence_group")
    spread = F.stddev_samp("incidents").over(same_week)
    z_score = F.when(F.count("*").over(same_week) >= 2, F.when(spread > 0, (F.col("incidents") - F.avg("incidents").over(same_week)) / spread))
    return (
        in_range.join(trailing, ["week", "grid_cell", "offence_group"])
        .select(
            "week",
            "grid_cell",
            "cell_latitude",
            "cell_longitude",
            "offence_group",
            "theme",
            F.col("incidents").cast("long").alias("incidents"),
            F.round(F.col("_earlier_total") / TRAILING_WEEKS, 4).alias("trailing_4w_mean"),
            F.round(z_score, 4).alias("z_score"),
        )
        .withColumn("hotspot", F.coalesce((F.col("z_score") >= HOTSPOT_Z) & (F.col("incidents") >= HOTSPOT_MIN_INCIDENTS), F.lit(False)))
    )
