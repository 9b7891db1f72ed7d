"""
### Erasure: approved requests carried out everywhere a subject can be, purged, and certified

Daily (and on demand: trigger it once a reviewed request is in `<inbox>/erasure_requests/`), every approved
erasure request not yet certified is carried out (`jobs/erasure.py`):

1. `review_requests` reads the request files: a malformed file, an unknown kind of subject or an identifier of
   the wrong form fails here, naming file and line; a request nobody approved does nothing;
2. one `erase_<pipeline>` task per pipeline whose tables may hold a subject (the declarations' `subjects:`),
   in that pipeline's pool, so it never runs beside the writer: the subject's rows deleted from bronze,
   quarantine and silver, gold recomputed for the touched periods, products rebuilt, staging copies and
   landed files cleaned, then the deleted files purged (VACUUM) once `CITYLAKE_ERASURE_PURGE_HOURS` have passed;
3. `certify` searches every place again (rows, data files, Delta logs, staging, landed files) and writes each
   request's certificate (`<reports>/erasure/<request>.json`, and a page of the quality report); if anything
   is left it fails naming the places, and a rerun completes the erasure. Nothing half-done is certified.

**Owner:** citylake-data-eng. **When it fails:** nothing is certified; fix the cause and clear the run.
A deletion already committed stays committed, and a rerun finds what is left.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, CronDataIntervalTimetable, task

from jobs.airflow_support import default_args, spark_job_task
from jobs.declarations import Product, registry

with DAG(
    dag_id="erasure",
    doc_md=__doc__,
    schedule=CronDataIntervalTimetable("0 1 * * *", timezone="UTC"),
    start_date=pendulum.datetime(2022, 5, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(retries=1),
    tags=["privacy", "erasure", "audit"],
) as dag:

    @task
    def review_requests() -> dict:
        """Check every request file; what is pending, by count only (identifiers never go to XCom or the log)."""
        from jobs.erasure_requests import read_requests
        from jobs.settings import load_settings

        requests = read_requests(load_settings())
        return {
            "requests": len(requests),
            "awaiting_approval": sum(not request.approved for request in requests),
            "pending": sum(request.approved and not request.certified for request in requests),
            "certified": sum(request.certified for request in requests),
        }

    sources, products = [], []
    for pipeline in registry().erasure_pipelines():
        erase = spark_job_task(
            f"erase_{pipeline.dag_id}", "erasure", "--action", "erase", "--pipeline", pipeline.dag_id, "--logical-date", "{{ ds }}",
            pool=pipeline.pool,
        )
        (products if isinstance(pipeline, Product) else sources).append(erase)
    upstream = review_requests()
    upstream >> sources
    upstream = sources
    for erase in products:  # in dependency order: each after everything it may read
        upstream >> erase
        upstream = erase
    upstream >> spark_job_task("certify", "erasure", "--action", "certify", "--logical-date", "{{ ds }}")
