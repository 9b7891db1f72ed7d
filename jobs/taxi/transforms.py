"""NYC TLC yellow-taxi trips as pure DataFrame transforms: raw -> typed -> (published, quarantined) -> gold.

Every function takes and returns DataFrames and touches no storage, so unit tests call them directly.
"""

from __future__ import annotations

from datetime import date

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from jobs import row_rules
from jobs.delivered import blank_to_null, number, pick
from jobs.taxi import columns as raw
from jobs.themes import theme_of, theme_rules

CITY_TIMEZONE = "America/New_York"
# The TLC's taxi zones are numbered 1..265 (264 and 265 are its "unknown" zones, kept as such).
ZONES = (1, 265)
# A trip faster than this is a meter or clock error, not a trip.
MAX_SPEED_MPH = 100.0
# A trip that went nowhere but kept the meter running this long is not a trip either.
ZERO_DISTANCE_MAX_SECONDS = 10 * 60
# A delivery holds the trips of its month (the TLC publishes monthly): pick-ups further from the
# logical date than this are clock errors (real files hold trips dated 2008 or 2088).
PERIOD_DAYS_BEFORE, PERIOD_DAYS_AFTER = 31, 1
CARD_PAYMENT = 1  # TLC payment_type: 1 credit card, 2 cash, 3 no charge, 4 dispute, 5 unknown, 6 voided

ROW_RULES = {
    "malformed_row": "the CSV row does not have the header's shape (kept whole in raw_record)",
    "times_unparseable": "pick-up or drop-off time is missing or not a date-time",
    "amounts_unparseable": "trip distance, fare or total is missing or not a number",
    "zone_unknown": f"pick-up or drop-off zone is not a TLC zone number {ZONES[0]}..{ZONES[1]}",
    "pickup_out_of_period": f"pick-up is more than {PERIOD_DAYS_BEFORE} days before or {PERIOD_DAYS_AFTER} day after the delivery's logical date",
    "dropoff_before_pickup": "drop-off time is before pick-up time",
    "negative_fare": "fare or total amount is negative",
    # The TLC's files from 2020 on hold voided and refunded trips with negative figures; a negative
    # distance would otherwise reach silver and give gold a negative median speed.
    "negative_distance": "trip distance is negative (a voided or refunded trip)",
    "negative_tip": "tip amount is negative (a refunded tip)",
    "zero_distance_long_duration": f"zero distance with the meter running over {ZERO_DISTANCE_MAX_SECONDS // 60} minutes",
    "speed_over_100mph": f"distance over duration is faster than {MAX_SPEED_MPH:.0f} mph",
    "duplicate_trip_in_file": "the file holds the same trip more than once; one is kept",
}


def typed_trips(bronze_batch: DataFrame, delivered_columns: tuple[str, ...] | None = None) -> DataFrame:
    """Parse the delivered strings (either spelling) into typed trips, keeping the raw row as JSON.

    Values that do not parse become NULL here; :func:`split_by_row_rules` decides what that means.
    """

    def delivered(name: str) -> Column:
        return blank_to_null(pick(bronze_batch, *raw.spellings(name)))

    def local_time(name: str) -> Column:
        return delivered(name).try_cast("timestamp")

    pickup_local, dropoff_local = local_time("pickup_datetime"), local_time("dropoff_datetime")
    pickup_zone = number(delivered("pickup_location_id")).try_cast("int")
    dropoff_zone = number(delivered("dropoff_location_id")).try_cast("int")
    metadata_columns = [name for name in bronze_batch.columns if name.startswith("_")]
    typed = bronze_batch.select(
        *metadata_columns,
        row_rules.raw_record(bronze_batch, delivered_columns).alias("_raw_record"),
        number(delivered("vendor_id")).try_cast("int").alias("vendor_id"),
        F.to_utc_timestamp(pickup_local, CITY_TIMEZONE).alias("pickup_at"),
        F.to_utc_timestamp(dropoff_local, CITY_TIMEZONE).alias("dropoff_at"),
        F.to_date(pickup_local).alias("pickup_date"),
        pickup_zone.alias("pickup_zone"),
        dropoff_zone.alias("dropoff_zone"),
        number(delivered("passenger_count")).try_cast("int").alias("passenger_count"),
        number(delivered("trip_distance")).alias("trip_distance_miles"),
        number(delivered("fare_amount")).alias("fare_amount"),
        number(delivered("tip_amount")).alias("tip_amount"),
        number(delivered("total_amount")).alias("total_amount"),
        number(delivered("payment_type")).try_cast("int").alias("payment_type"),
    )
    duration = F.col("dropoff_at").cast("long") - F.col("pickup_at").cast("long")
    # A trip has no id: the same trip delivered in either spelling gets the same one from its typed fields.
    identity = F.concat_ws(
        "|",
        *[F.coalesce(F.col(name).cast("string"), F.lit("")) for name in ("vendor_id", "pickup_at", "dropoff_at", "pickup_zone", "dropoff_zone", "trip_distance_miles", "fare_amount", "total_amount", "payment_type", "passenger_count")],
    )
    return typed.select(
        "*",
        F.substring(F.sha2(identity, 256), 1, 32).alias("trip_id"),
        duration.alias("duration_seconds"),
        theme_of(F.lit("yellow_taxi_trip"), theme_rules(raw.SOURCE)).alias("theme"),
    )


def _broken_rule() -> Column:
    """The id of the first row rule a typed trip breaks, or NULL."""
    distance, duration = F.col("trip_distance_miles"), F.col("duration_seconds")
    logical_day = F.col("_logical_date")
    zone_ok = lambda zone: F.col(zone).between(*ZONES)  # noqa: E731
    return (
        F.when(F.col("_corrupt_record").isNotNull(), F.lit("malformed_row"))
        .when(F.col("pickup_at").isNull() | F.col("dropoff_at").isNull(), F.lit("times_unparseable"))
        .when(distance.isNull() | F.col("fare_amount").isNull() | F.col("total_amount").isNull(), F.lit("amounts_unparseable"))
        .when(~(zone_ok("pickup_zone") & zone_ok("dropoff_zone")) | F.col("pickup_zone").isNull() | F.col("dropoff_zone").isNull(), F.lit("zone_unknown"))
        .when(
            (F.col("pickup_date") < F.date_sub(logical_day, PERIOD_DAYS_BEFORE)) | (F.col("pickup_date") > F.date_add(logical_day, PERIOD_DAYS_AFTER)),
            F.lit("pickup_out_of_period"),
        )
        .when(duration < 0, F.lit("dropoff_before_pickup"))
        .when((F.col("fare_amount") < 0) | (F.col("total_amount") < 0), F.lit("negative_fare"))
        .when(distance < 0, F.lit("negative_distance"))
        # A missing tip (tip_amount is not a required column) breaks no rule: NULL < 0 is not true.
        .when(F.col("tip_amount") < 0, F.lit("negative_tip"))
        .when((distance == 0) & (duration > ZERO_DISTANCE_MAX_SECONDS), F.lit("zero_distance_long_duration"))
        .when((distance > 0) & ((duration == 0) | (distance * 3600 > MAX_SPEED_MPH * duration)), F.lit("speed_over_100mph"))
    )


def split_by_row_rules(typed: DataFrame) -> tuple[DataFrame, DataFrame]:
    """``(published, quarantined)``: impossible trips are quarantined with the rule they break."""
    return row_rules.split_by_row_rules(
        typed,
        _broken_rule(),
        ROW_RULES,
        key="trip_id",
        newest_first=[],
        duplicate_rule="duplicate_trip_in_file",
        record_key=F.col("trip_id"),
        record_key_name="trip_id",
    )


def taxi_trips(published: DataFrame) -> DataFrame:
    """Silver rows: one per trip, typed, UTC with the city's day, zones (no finer location), lineage."""
    return published.select(
        "trip_id",
        "vendor_id",
        "pickup_at",
        "dropoff_at",
        "pickup_date",
        "pickup_zone",
        "dropoff_zone",
        "passenger_count",
        "trip_distance_miles",
        "duration_seconds",
        "fare_amount",
        "tip_amount",
        "total_amount",
        "payment_type",
        "theme",
        F.col("_source_file").alias("source_file"),
        F.col("_batch_id").alias("batch_id"),
    )


def mobility_daily(trips: DataFrame, first_day: date, last_day: date) -> DataFrame:
    """Gold: per city day and pick-up zone, trips, median duration and speed, fare per mile, card share.

    Medians are exact (``percentile``, interpolated like pandas'); speed is over trips that took time.
    Fare per mile is total fare over total distance, so short trips do not dominate it.
    """
    in_range = trips.where(F.col("pickup_date").between(first_day, last_day))
    speed = F.when(F.col("duration_seconds") > 0, F.col("trip_distance_miles") * 3600 / F.col("duration_seconds"))
    return in_range.groupBy(F.col("pickup_date").alias("day"), "pickup_zone", "theme").agg(
        F.count("*").alias("trips"),
        F.round(F.percentile(F.col("duration_seconds") / 60, 0.5), 4).alias("median_duration_minutes"),
        F.round(F.percentile(speed, 0.5), 4).alias("median_speed_mph"),
        F.round(F.when(F.sum("trip_distance_miles") > 0, F.sum("fare_amount") / F.sum("trip_distance_miles")), 4).alias("fare_per_mile"),
        F.round(F.avg((F.col("payment_type") == CARD_PAYMENT).cast("double")), 4).alias("card_share"),
    )
