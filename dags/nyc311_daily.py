"""
### NYC 311 service requests, daily

Lands the day's 311 export from the inbox (`<inbox>/nyc_311/<ds>/`) into the landing zone, then one
Spark application takes it through bronze (`bronze.nyc311_service_requests`), the Great Expectations
suites `expectations/delivery_columns.json` (schema drift, a warning) and `nyc311_batch.json`, row
rules (bad rows to `quarantine.service_requests`), silver (`silver.service_requests`, MERGE by
request) and gold (`gold.service_requests_daily`). The export arrives in either of the city's shapes:
the portal CSV ("Unique Key", ...) or the Socrata API's CSV or JSON (`unique_key`, ...); both land in
the same tables. Silver and gold are written, audited, then published: each batch is staged and must
pass its suite first. Quality results, publications and the day's reconciliation land in
`audit.dq_results`, `audit.publications` and `audit.reconciliation`; the run's quality report and
Data Docs in `<reports_root>/quality/` and `<reports_root>/data_docs/`. A published gold table emits
the Asset `gold.service_requests_daily`, which schedules the `city_themes` DAG.

**Owner:** citylake-data-eng.

**When it fails:** `land` fails while the day's file has not been delivered and is expected to retry
until it lands; a missing column names the file and the column. `bronze_to_gold` fails on a critical
expectation (the log names table, batch, expectation and observed value; nothing is published and the
staged batch stays under `<lake>/staging/`) or when rows do not reconcile. Bad rows are in
`quarantine.service_requests`; `citylake quarantine export|replay` sends fixed rows back in. Fix the
cause, then clear the task: every step replaces exactly what it produces, so clearing, rerunning and
backfilling are safe.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import CronDataIntervalTimetable

from jobs.airflow_support import source_dag

dag = source_dag(
    dag_id="nyc311_daily",
    doc_md=__doc__,
    source_columns="jobs.nyc311.columns",
    job="nyc311",
    # A run covers one UTC day of data and starts once the day is over; its logical date ({{ ds }}) is that day.
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=pendulum.datetime(2022, 5, 1, tz="UTC"),
    tags=["city", "nyc_311", "landing", "bronze", "silver", "gold"],
    gold_tables=["gold.service_requests_daily"],
    # Shared with lake_maintenance's OPTIMIZE of the 311 tables: never both at once.
    pool="nyc311_writes",
)
