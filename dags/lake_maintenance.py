"""
### Lake maintenance: compact and Z-order the tables dashboards read

Weekly, early on Sunday (UTC), one Spark task per table runs Delta `OPTIMIZE ... ZORDER BY` on the
columns dashboards filter by (`jobs/maintenance.py:CLUSTERED_TABLES`) and records the files removed
and added, and the Delta version produced, in `audit.maintenance`.

**Does not collide with writers:** each table's task runs in the Airflow pool of the DAG that writes
the table (one slot, see `infra/airflow/pools.json`), so OPTIMIZE and the writer's replace never run
at once. Readers are never blocked: the SQL endpoint keeps serving the previous version until
OPTIMIZE commits.

**Owner:** citylake-data-eng. **When it fails:** nothing is lost (OPTIMIZE commits atomically or not
at all); clear the task once the cause (usually storage) is fixed.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, CronDataIntervalTimetable

from jobs.airflow_support import default_args, spark_job_task

# Listed here, not imported from jobs.maintenance: the DAG file must not import pyspark at parse time.
TABLE_POOLS = {
    "gold.service_requests_daily": "nyc311_writes",
}

with DAG(
    dag_id="lake_maintenance",
    doc_md=__doc__,
    schedule=CronDataIntervalTimetable("0 3 * * 0", timezone="UTC"),
    start_date=pendulum.datetime(2022, 5, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(retries=1),
    tags=["maintenance", "gold", "bi"],
) as dag:
    for table_name, pool in TABLE_POOLS.items():
        spark_job_task(
            f"optimize_{table_name.replace('.', '_')}",
            "maintenance",
            "--table", table_name,
            "--logical-date", "{{ ds }}",
            validates=False,
            pool=pool,
        )
