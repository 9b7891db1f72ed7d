"""What every citylake DAG shares: default arguments, the failure callback and the Spark task.

Imported by DAG files at parse time, so it imports nothing heavy (no pyspark, no Great Expectations)
and does no I/O at import; settings are read when a task runs, in the worker.

A Spark task is the Spark provider's ``PySparkOperator`` on the ``spark_connect`` connection: the job
runs in the task's own process as a Spark Connect client of the lake's warm engine
(``infra/spark_connect.sh``), so a run pays for a client session (about half a second), not for a cold
JVM. There is no ``spark-submit`` path: pointing the connection at a Connect server on a cluster moves
the same DAGs there (infra/PRODUCTION.md).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import timedelta

from airflow.providers.apache.spark.operators.spark_pyspark import PySparkOperator

from jobs.settings import PROJECT_ROOT, load_settings

OWNER = "citylake-data-eng"
SPARK_CONN_ID = "spark_connect"
# Great Expectations suites, read by the job in the task's process (the Connect client).
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
# How often a source's `land` looks for the day's delivery, and how long after its run starts it gives up.
DELIVERY_POKE_SECONDS = int(os.environ.get("CITYLAKE_DELIVERY_POKE_SECONDS", "300"))
DELIVERY_DEADLINE_SECONDS = int(os.environ.get("CITYLAKE_DELIVERY_DEADLINE_HOURS", "18")) * 3600

log = logging.getLogger(__name__)


def record_failure(context) -> None:
    """Failure callback: log the alert, drop it where Spark files it in ``audit.alerts``, notify a webhook.

    See jobs/alerts.py.
    """
    from jobs.alerts import alert_from_context, drop_alert, notify_webhook

    alert = alert_from_context(context)
    log.error("citylake alert: %s", json.dumps(alert))
    try:
        log.info("alert %s recorded at %s", alert["alert_id"], drop_alert(load_settings(), alert))
    except Exception:  # an alert that cannot be written must not hide the task's own error
        log.exception("could not record the alert; it is in this log only")
    try:
        if notify_webhook(alert):
            log.info("alert %s sent to the webhook", alert["alert_id"])
    except Exception as error:  # the URL may hold a token: name the failure, not the URL
        log.error("could not send alert %s to the webhook: %s", alert["alert_id"], type(error).__name__)


def default_args(retries: int = 2, owner: str = OWNER) -> dict:
    """Owner, retries and the failure callback every task carries."""
    return {
        "owner": owner,
        "retries": retries,
        "retry_delay": timedelta(seconds=int(os.environ.get("CITYLAKE_RETRY_DELAY_SECONDS", "60"))),
        "on_failure_callback": record_failure,
    }


def check_engine(context) -> None:
    """Before a Spark task: fail within seconds, naming the endpoint, when the engine does not answer.

    The Connect client would retry an unreachable server with back-off for minutes; Airflow's retry
    (after the engine's script restarted it) is the recovery.
    """
    from airflow.providers.apache.spark.hooks.spark_connect import SparkConnectHook

    from jobs.spark_config import check_reachable

    check_reachable(SparkConnectHook(SPARK_CONN_ID).get_connection_url())


def spark_job_task(task_id: str, job: str, *job_args: str, validates: bool = True, **operator_kwargs) -> PySparkOperator:
    """A task that runs ``job`` with ``job_args`` on the engine, through the ``spark_connect`` connection.

    ``validates``: the job reads Great Expectations suites (it gets ``--expectations-dir``).
    ``pool=None`` leaves the task in Airflow's default pool.
    """
    from jobs.run import run_job

    if operator_kwargs.get("pool", "") is None:
        operator_kwargs.pop("pool")
    suites = ["--expectations-dir", str(EXPECTATIONS_DIR)] if validates else []
    return PySparkOperator(
        task_id=task_id,
        conn_id=SPARK_CONN_ID,
        python_callable=run_job,
        op_args=[
            job,
            *job_args,
            *suites,
            "--run-id", "{{ run_id }}",
            "--dag-id", "{{ dag.dag_id }}",
            "--task-id", task_id,
        ],
        pre_execute=check_engine,
        **operator_kwargs,
    )


def table_asset(table_name: str):
    """The Airflow Asset of a silver or gold table (``zone.table``): its writer emits it, products are scheduled on it."""
    from airflow.sdk import Asset

    zone, table = table_name.split(".", 1)
    return Asset(name=table_name, uri=f"citylake://{zone}/{table}", group=zone)


def land_task(delivery_columns: str):
    """The ``land`` sensor of a DAG fed by deliveries (``delivery_columns``: the module, without Spark, that
    names what a delivery must hold): wait for the day's files, then copy them, unchanged, into the landing
    zone and the manifest.

    Feeds arrive late in the day: until the files are in the inbox the task reschedules itself (holding no
    worker slot); past the deadline it fails, and the failure callback files the alert.
    """
    from airflow.sdk import task

    @task.sensor(mode="reschedule", poke_interval=DELIVERY_POKE_SECONDS, timeout=DELIVERY_DEADLINE_SECONDS)
    def land(ds: str | None = None):
        """Wait for the day's delivery, then copy its files, unchanged, into the landing zone and the manifest."""
        import importlib

        from airflow.sdk import PokeReturnValue

        from jobs.landing import NoDelivery, land_deliveries

        columns = importlib.import_module(delivery_columns)
        try:
            landed = land_deliveries(columns.SOURCE, ds, columns.REQUIRED_COLUMNS)
        except NoDelivery as waiting:
            log.info("%s; looking again in %d s", waiting, DELIVERY_POKE_SECONDS)
            return PokeReturnValue(is_done=False)
        return PokeReturnValue(is_done=True, xcom_value=landed)

    return land()


def delivery_dag(pipeline, zone_tags: list[str]):
    """The DAG of a declared ingestion or snapshot, fed by deliveries on its cron: one run per logical date,
    one at a time (silver MERGEs build on earlier days; a list replaces the one before it, in order)."""
    import pendulum
    from airflow.sdk import DAG, CronDataIntervalTimetable

    from jobs.declarations import registry

    return DAG(
        dag_id=pipeline.dag_id,
        doc_md=registry().doc(pipeline),
        # A run covers one interval of data and starts once it is over; its logical date ({{ ds }}) is the interval's start.
        schedule=CronDataIntervalTimetable(pipeline.schedule, timezone="UTC"),
        start_date=pendulum.parse(pipeline.start_date, tz="UTC"),
        catchup=False,
        max_active_runs=1,
        default_args=default_args(owner=pipeline.owner),
        tags=[*pipeline.tags, *zone_tags],
    )


def source_dag(ingestion):
    """A declared source's DAG: ``land`` (copy the day's deliveries into the landing zone, no Spark), then
    one Spark application from bronze to gold, which emits its tables' Assets (products may be built on
    any of them; one that reads bronze keys what it writes, see jobs/products.py).

    ``ingestion``: its ``jobs.declarations.Ingestion``.
    """
    with delivery_dag(ingestion, ["landing", "bronze", "silver", "gold"]) as dag:
        bronze_to_gold = spark_job_task(
            "bronze_to_gold", ingestion.job, "--logical-date", "{{ ds }}", pool=ingestion.pool,
            outlets=[table_asset(table) for table in (ingestion.bronze, ingestion.silver, *ingestion.gold)],
        )
        land_task(ingestion.delivery_columns) >> bronze_to_gold
    return dag


def snapshot_dag(snapshot):
    """A declared snapshot's DAG: ``land`` the day's list (no Spark), then one Spark task that publishes it
    as a new version of its tables when it changed (jobs/snapshots.py) and emits their Assets.
    """
    with delivery_dag(snapshot, ["landing", "silver", "snapshot"]) as dag:
        publish = spark_job_task("publish_list", snapshot.job, "--logical-date", "{{ ds }}", pool=snapshot.pool, outlets=[table_asset(table) for table in snapshot.outputs])
        land_task(snapshot.delivery_columns) >> publish
    return dag


def product_dag(product):
    """A declared product's DAG: scheduled on its inputs' Assets (any one changing is enough), one Spark
    task that refreshes its outputs by the product's own rule and emits their Assets.
    """
    import pendulum
    from airflow.sdk import DAG, AssetAny

    from jobs.declarations import registry

    with DAG(
        dag_id=product.dag_id,
        doc_md=registry().doc(product),
        schedule=AssetAny(*[table_asset(table) for table in product.inputs]),
        start_date=pendulum.datetime(2019, 1, 1, tz="UTC"),
        catchup=False,
        max_active_runs=1,
        default_args=default_args(owner=product.owner),
        tags=[*product.tags, "gold", "bi"],
    ) as dag:
        # An Asset-triggered run has no logical date of its own: it is recorded under the day it ran after.
        spark_job_task(
            "rebuild" if product.refresh == "rebuild" else "refresh", product.job, "--logical-date", "{{ dag_run.run_after | ds }}",
            pool=product.pool, outlets=[table_asset(table) for table in product.outputs],
        )
    return dag
