"""The columns of a NYC TLC yellow-taxi delivery, without Spark, so that landing can check them.

The TLC's trip records come in two spellings, and both land in the same tables:
- the CSV extracts with snake_case names (``pickup_datetime``, ``pickup_location_id``, ...), as the
  sample in tests/data holds;
- the TLC's monthly Parquet files with its own names (``VendorID``, ``tpep_pickup_datetime``,
  ``PULocationID``, ...).
Times are New York wall-clock times in both.
"""

from __future__ import annotations

from jobs.landing import DeliveryColumns

SOURCE = "nyc_tlc_yellow"

# The CSV extracts' header, in order; the names the pipeline uses for every field.
CSV_HEADER = (
    "vendor_id", "pickup_datetime", "dropoff_datetime", "passenger_count", "trip_distance", "rate_code_id",
    "store_and_fwd_flag", "pickup_location_id", "dropoff_location_id", "payment_type", "fare_amount", "extra",
    "mta_tax", "tip_amount", "tolls_amount", "improvement_surcharge", "total_amount", "congestion_surcharge",
)
# Where the TLC's Parquet spells a field differently (the others are spelled alike).
TLC_NAMES = {
    "vendor_id": "VendorID",
    "pickup_datetime": "tpep_pickup_datetime",
    "dropoff_datetime": "tpep_dropoff_datetime",
    "rate_code_id": "RatecodeID",
    "pickup_location_id": "PULocationID",
    "dropoff_location_id": "DOLocationID",
}
# The TLC's Parquet layout (2023-2024 files): the CSV's fields in its spelling, plus the airport fee.
TLC_HEADER = tuple(TLC_NAMES.get(name, name) for name in CSV_HEADER) + ("Airport_fee",)

# The fields the pipeline reads.
REQUIRED = ("vendor_id", "pickup_datetime", "dropoff_datetime", "trip_distance", "pickup_location_id", "payment_type", "fare_amount", "total_amount")
REQUIRED_COLUMNS = DeliveryColumns(
    spellings=(REQUIRED, tuple(TLC_NAMES.get(name, name) for name in REQUIRED)),
    layouts=(CSV_HEADER, TLC_HEADER),
)


def spellings(name: str) -> tuple[str, ...]:
    """Every name a field may arrive under."""
    return (name, TLC_NAMES[name]) if name in TLC_NAMES else (name,)
