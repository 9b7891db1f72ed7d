"""
### NYC 311 service requests, daily

Lands the day's 311 export from the inbox (`<inbox>/nyc_311/<ds>/`) into the landing zone, then one
Spark application takes it through bronze (`bronze.nyc311_service_requests`), the Great Expectations
suite `expectations/nyc311_batch.json`, row rules (bad rows to `quarantine.service_requests`),
silver (`silver.service_requests`, MERGE by request) and gold (`gold.service_requests_daily`). Silver and
gold are written, audited, then published: each batch is staged and must pass its suite first.
Quality results, publications and the day's reconciliation land in `audit.dq_results`,
`audit.publications` and `audit.reconciliation`; the run's quality report and Data Docs in
`<reports_root>/quality/` and `<reports_root>/data_docs/`.

**Owner:** citylake-data-eng.

**When it fails:** `land` fails while the day's file has not been delivered and is expected to retry
until it lands; a missing column names the file and the column. `bronze_to_gold` fails on a critical
expectation (the log names table, batch, expectation and observed value; nothing is published and the
staged batch stays under `<lake>/staging/`) or when rows do not reconcile. Bad rows are in
`quarantine.service_requests`; `citylake quarantine export|replay` sends fixed rows back in. Fix the cause, then clear the task: every step replaces exactly what it
produces, so clearing, rerunning and backfilling are safe.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, CronDataIntervalTimetable, task

from jobs.airflow_support import default_args, spark_job_task

with DAG(
    dag_id="nyc311_daily",
    doc_md=__doc__,
    # A run covers one UTC day of data and starts once the day is over; its logical date ({{ ds }}) is that day.
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=pendulum.datetime(2022, 5, 1, tz="UTC"),
    catchup=False,
    # One day at a time: silver MERGEs and gold's running "still open" totals build on earlier days.
    max_active_runs=1,
    default_args=default_args(),
    tags=["city", "nyc_311", "landing", "bronze", "silver", "gold"],
) as dag:

    @task
    def land(ds: str | None = None) -> list[dict]:
        """Copy the day's delivered files, unchanged, into the landing zone and the manifest."""
        from jobs.landing import land_deliveries
        from jobs.nyc311.columns import REQUIRED_COLUMNS, SOURCE

        return land_deliveries(SOURCE, ds, REQUIRED_COLUMNS)

    # The pool is shared with lake_maintenance's OPTIMIZE of the 311 tables: never both at once.
    bronze_to_gold = spark_job_task("bronze_to_gold", "nyc311", "--logical-date", "{{ ds }}", pool="nyc311_writes")

    land() >> bronze_to_gold
