"""
### Lake maintenance: compact and Z-order the tables dashboards read; expire rows past their retention

Weekly, early on Sunday (UTC), one Spark task per table declared with `cluster_by`
(`jobs/<domain>/declarations.yaml`) runs Delta `OPTIMIZE ... ZORDER BY` on those columns and records
the files removed and added, and the Delta version produced, in `audit.maintenance`.

One more task per table declared with `retention_days` (raw personal data: bronze, quarantine) deletes the rows
delivered (`_logical_date`) more than that many days before the end of the run's week, then runs VACUUM
(`jobs/retention.py` says when the bytes leave storage); a source's bronze task deletes its landed files of those
days too (their manifest entries stay, marked expired). Each is a row in `audit.maintenance` (operation
`RETENTION`, with the day, the rows deleted and the oldest day still held).

**Does not collide with writers:** each table's task runs in the Airflow pool of the DAG that writes
the table (its declaration's `pool`, one slot, imported by `infra/airflow.sh` from `citylake pools`), so OPTIMIZE and the
writer's replace never run at once. The audit tables, which every DAG writes (one small file per run
each), are compacted too: there OPTIMIZE and a writer may commit at once, and whichever loses tries
again on the new snapshot. Readers are never blocked: the SQL endpoint keeps serving the previous
version until OPTIMIZE commits.

**Owner:** citylake-data-eng. **When it fails:** nothing is lost (OPTIMIZE commits atomically or not
at all); clear the task once the cause (usually storage) is fixed.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, CronDataIntervalTimetable

from jobs.airflow_support import default_args, spark_job_task
from jobs.declarations import registry

with DAG(
    dag_id="lake_maintenance",
    doc_md=__doc__,
    schedule=CronDataIntervalTimetable("0 3 * * 0", timezone="UTC"),
    start_date=pendulum.datetime(2022, 5, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(retries=1),
    tags=["maintenance", "gold", "bi", "audit", "retention"],
) as dag:
    for table in registry().clustered():
        spark_job_task(
            f"optimize_{table.name.replace('.', '_')}",
            "maintenance",
            "--table", table.name,
            "--logical-date", "{{ ds }}",
            validates=False,
            pool=registry().writers_pool(table.name),
        )
    for table in registry().retained():
        spark_job_task(
            f"retain_{table.name.replace('.', '_')}",
            "maintenance",
            "--action", "retain",
            "--table", table.name,
            "--logical-date", "{{ ds }}",
            "--as-of", "{{ data_interval_end | ds }}",
            validates=False,
            pool=registry().writers_pool(table.name),
        )
