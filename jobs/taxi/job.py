"""NYC TLC yellow-taxi trips: one day of landed files -> bronze -> validated -> silver -> gold ``mobility_daily``.

The steps every source shares are in jobs/pipeline.py; this module names the taxi tables and suites
and how its gold is refreshed.

    spark-submit ... jobs/run.py taxi --logical-date 2019-01-31 --expectations-dir expectations
"""

from __future__ import annotations

from jobs import pipeline, publish
from jobs.taxi import columns as raw
from jobs.taxi import transforms


SOURCE = pipeline.Source(
    name=raw.SOURCE,
    columns=raw.REQUIRED_COLUMNS,
    bronze=("bronze", "tlc_yellow_trips"),
    batch_suite="taxi_batch.json",
    quarantine=("quarantine", "taxi_trips"),
    silver=publish.Target("silver", "taxi_trips", "silver_taxi_trips.json"),
    # The trip id is made from the pick-up time, so its day is in the key too: the MERGE prunes by it.
    silver_key=("pickup_date", "trip_id"),
    typed=transforms.typed_trips,
    split=transforms.split_by_row_rules,
    to_silver=transforms.taxi_trips,
    silver_update_when=None,
    gold=pipeline.Gold(
        target=publish.Target("gold", "mobility_daily", "gold_mobility_daily.json"),
        period_column="day",
        silver_period_column="pickup_date",
        transform=transforms.mobility_daily,
        reconciled_as="silver_trips",
    ),
    silver_partition_by=("pickup_date",),
)


def main(argv: list[str] | None = None) -> None:
    pipeline.main("taxi", SOURCE, argv)
