"""
### City themes across sources

Rebuilds `gold.city_themes` whenever a source's gold table changes: each source's headline measures
(311 requests opened and closed, taxi trips, ...) per period and shared city theme, stacked in one
table so BI compares services on themes. Scheduled on the gold tables' Airflow Assets, so a daily run
or a backfill of any source refreshes it; it rebuilds the whole (small) table through its suite
`expectations/gold_city_themes.json`, so a rerun gives the same table.

**Owner:** citylake-data-eng.

**When it fails:** a critical expectation failed (the log names it; the published table is
unchanged and the staged rebuild stays under `<lake>/staging/`). Fix the cause and clear the task,
or let the next source update trigger it again.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, AssetAny

from jobs.airflow_support import default_args, gold_asset, spark_job_task

# The gold tables jobs/city_themes.py stacks (kept here: the DAG file must not import pyspark).
GOLD_TABLES = ("gold.service_requests_daily", "gold.mobility_daily", "gold.waste_diversion_monthly", "gold.incident_hotspots_weekly")

with DAG(
    dag_id="city_themes",
    doc_md=__doc__,
    # Any one of them changing is enough: the rebuild reads them all.
    schedule=AssetAny(*[gold_asset(table) for table in GOLD_TABLES]),
    start_date=pendulum.datetime(2019, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    tags=["city", "themes", "gold", "bi"],
) as dag:
    # An Asset-triggered run has no logical date of its own: it is recorded under the day it ran after.
    spark_job_task("rebuild", "city_themes", "--logical-date", "{{ dag_run.run_after | ds }}")
