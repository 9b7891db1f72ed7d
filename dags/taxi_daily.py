"""
### NYC TLC yellow-taxi trips, daily

Lands the day's trip records from the inbox (`<inbox>/nyc_tlc_yellow/<ds>/`) into the landing zone,
then one Spark application takes them through bronze (`bronze.tlc_yellow_trips`), the suites
`expectations/delivery_columns.json` (schema drift, a warning) and `taxi_batch.json`, row rules
(impossible trips to `quarantine.taxi_trips`: negative fares, drop-off before pick-up, over 100 mph,
zero distance with the meter running, unknown zones, pick-ups outside the delivery's month, repeats),
silver (`silver.taxi_trips`, partitioned by pick-up day, MERGE by trip) and gold
(`gold.mobility_daily`: per day and pick-up zone, trips, median duration and speed, fare per mile,
card share). Files come as the CSV extracts' snake_case columns or the TLC's Parquet spelling
(`VendorID`, `tpep_pickup_datetime`, `PULocationID`, ...); both land in the same tables. A published
gold table emits the Asset `gold.mobility_daily`, which schedules the `city_themes` DAG.

**Owner:** citylake-data-eng.

**When it fails:** `land` fails while the day's file has not been delivered, or names the file and the
missing columns of a file of the wrong shape. `bronze_to_gold` fails on a critical expectation (the
log names table, batch, expectation and observed value; nothing is published and the staged batch
stays under `<lake>/staging/`) or when rows do not reconcile. Fix the cause, then clear the task:
every step replaces exactly what it produces, so clearing, rerunning and backfilling are safe.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import CronDataIntervalTimetable

from jobs.airflow_support import source_dag

dag = source_dag(
    dag_id="taxi_daily",
    doc_md=__doc__,
    source_columns="jobs.taxi.columns",
    job="taxi",
    schedule=CronDataIntervalTimetable("0 1 * * *", timezone="UTC"),
    start_date=pendulum.datetime(2019, 1, 1, tz="UTC"),
    tags=["city", "transport", "nyc_tlc_yellow", "landing", "bronze", "silver", "gold"],
    gold_tables=["gold.mobility_daily"],
)
