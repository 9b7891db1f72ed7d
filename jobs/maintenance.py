"""Spark job: compact and cluster the tables BI reads and the audit trail (Delta OPTIMIZE with Z-ordering),
and expire the rows of tables with a declared retention (``jobs/retention.py``).

Daily writes leave one small file or a few per run; a dashboard query then opens hundreds of them
and can skip none, and every run's audit write must look through them for the rows it replaces.
OPTIMIZE rewrites them into few large files, Z-ordered by the declared ``cluster_by`` columns (those
dashboards filter on; the run for the audit tables), so Delta's per-file min/max statistics let a
filtered query skip most files. It commits like any other write: readers (the SQL endpoint) see the
new version on their next query. The maintenance DAG runs each table's task in the Airflow pool of the
table's writer, so OPTIMIZE and the writer's replace never run at the same time (they would conflict
on the files both rewrite); the audit tables have every DAG as writer, so there a conflict is retried.

    python -m jobs.run maintenance --table gold.service_requests_daily --logical-date 2022-05-08
    python -m jobs.run maintenance --action retain --table bronze.social_posts --logical-date 2022-06-05
"""

from __future__ import annotations

import argparse
import logging
import os
from datetime import date, datetime, timezone

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from jobs import alerts, lake, retention
from jobs.audit import RunContext
from jobs.declarations import registry
from jobs.settings import Settings, load_settings
from jobs.spark_config import build_session

MAINTENANCE_SCHEMA = registry().table("audit.maintenance").ddl()  # declared in jobs/lake_tables/declarations.yaml

log = logging.getLogger("citylake.maintenance")


def clustered_tables() -> dict[str, tuple[str, ...]]:
    """The tables dashboards read, with the columns their filters use: each table's declared ``cluster_by``."""
    return {table.name: table.cluster_by for table in registry().clustered()}


def optimize(spark: SparkSession, settings: Settings, table_name: str) -> dict:
    """OPTIMIZE ``table_name`` Z-ordered by its dashboard columns; returns Delta's file metrics and version."""
    zone, table = table_name.split(".")
    columns = clustered_tables()[table_name]
    if not lake.table_exists(spark, settings, zone, table):
        log.info("%s does not exist yet: nothing to optimize", table_name)
        return {"files_removed": 0, "files_added": 0, "delta_version": None}
    partitioned_as_declared(spark, settings, table_name)
    path = lake.quoted(settings.table_path(zone, table))
    optimized = []
    # A table every DAG writes (the audit tables) may take a commit meanwhile: OPTIMIZE then tries again.
    lake.retry_on_conflict(lambda: optimized.append(spark.sql(f"OPTIMIZE delta.{path} ZORDER BY ({', '.join(lake.quoted(column) for column in columns)})").first()["metrics"]))
    metrics = optimized[-1]
    version = lake.latest_version(spark, settings, zone, table)
    result = {"files_removed": metrics["numFilesRemoved"], "files_added": metrics["numFilesAdded"], "delta_version": version}
    log.info("%s: OPTIMIZE ZORDER BY %s: %s", table_name, ", ".join(columns), result)
    return result


def partitioned_as_declared(spark: SparkSession, settings: Settings, table_name: str) -> bool:
    """Rewrite ``table_name`` with its declared partitioning if storage has another; whether it did.

    A table keeps the partitioning it was created with (``lake._as_declared``): a lake created before its
    declaration gained ``partition_by`` is rewritten here, once, as one overwrite commit of the same rows
    (readers see the old or the new layout, whole; the commit's ``userMetadata`` says why)."""
    declared = registry().table(table_name)
    held = lake.partition_columns(spark, settings, *declared.address)
    if held == declared.partition_by:
        return False
    path = settings.table_path(*declared.address)
    reason = f"maintenance: partitioned by ({', '.join(declared.partition_by)}) as declared, was ({', '.join(held)})"

    def rewrite() -> None:
        # Read in each attempt: a DAG that appended meanwhile (the audit tables) fails the overwrite, which then reads the new snapshot.
        rows = spark.read.format("delta").load(path)
        rows.write.format("delta").mode("overwrite").option("overwriteSchema", "true").option("userMetadata", reason).partitionBy(*declared.partition_by).save(path)

    lake.retry_on_conflict(rewrite)
    log.info("%s: %s", table_name, reason)
    return True


def expire(spark: SparkSession, settings: Settings, table_name: str, as_of: date) -> dict:
    """Delete and purge the rows of ``table_name`` past its declared retention on ``as_of``."""
    table = registry().table(table_name)
    return {**retention.enforce(spark, settings, table, as_of), "operation": "RETENTION", "retention_days": table.retention_days}


def _earlier_deletion(spark: SparkSession, settings: Settings, run: RunContext, table_name: str) -> dict:
    """What an earlier attempt of this run's retention task deleted (``{}``: nothing recorded).

    A retry after the DELETE committed (VACUUM or the audit write failed) finds nothing left to expire: the
    evidence of the deletion must not be replaced by a row saying none happened.
    """
    if not lake.table_exists(spark, settings, "audit", "maintenance"):
        return {}
    trail = lake.read_table(spark, settings, "audit", "maintenance")
    if "rows_deleted" not in trail.columns:
        return {}
    earlier = trail.where(
        (F.col("run_id") == run.run_id) & (F.col("table_name") == table_name) & (F.col("operation") == "RETENTION") & (F.col("rows_deleted") > 0)
    ).first()
    return {} if earlier is None else {name: earlier[name] for name in ("rows_deleted", "files_removed", "files_added", "delta_version")}


def record_maintenance(spark: SparkSession, settings: Settings, run: RunContext, table_name: str, result: dict) -> None:
    """One ``audit.maintenance`` row per table, operation and run (a rerun of the run replaces it)."""
    operation = result.get("operation", "OPTIMIZE")
    if operation == "RETENTION" and not result["rows_deleted"]:
        result = {**result, **_earlier_deletion(spark, settings, run, table_name)}
    zorder_by = ",".join(clustered_tables()[table_name]) if operation == "OPTIMIZE" else None
    row = (
        run.run_id, run.dag_id, date.fromisoformat(run.logical_date), table_name, operation,
        zorder_by, result["files_removed"], result["files_added"], result["delta_version"],
        datetime.now(timezone.utc).replace(tzinfo=None),
        result.get("retention_days"), result.get("cutoff"), result.get("rows_deleted"), result.get("oldest_held"),
    )
    predicate = f"run_id = {lake.sql_literal(run.run_id)} AND table_name = {lake.sql_literal(table_name)} AND operation = {lake.sql_literal(operation)}"
    # A lake written before the retention columns were declared gets them (earlier rows NULL there).
    lake.replace_where(spark.createDataFrame([row], MAINTENANCE_SCHEMA), settings, "audit", "maintenance", predicate, merge_schema=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="maintenance", description=__doc__.splitlines()[0])
    parser.add_argument("--action", choices=("optimize", "retain"), default="optimize", help="OPTIMIZE, or expire rows past the table's retention")
    maintained = {*clustered_tables(), *(table.name for table in registry().retained())}
    parser.add_argument("--table", required=True, choices=sorted(maintained), help="zone.table to maintain")
    parser.add_argument("--logical-date", required=True, type=date.fromisoformat)
    parser.add_argument("--as-of", type=date.fromisoformat, help="retain: the day retention counts back from (default: the logical date)")
    parser.add_argument("--run-id", default="manual")
    parser.add_argument("--dag-id", default="manual")
    parser.add_argument("--task-id", default="optimize")
    parser.add_argument("--lake-root", help="overrides CITYLAKE_LAKE_ROOT")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None, spark=None) -> None:
    args = parse_args(argv)
    overrides = {"CITYLAKE_LAKE_ROOT": args.lake_root} if args.lake_root else {}
    settings = load_settings({**os.environ, **overrides})
    spark = spark or build_session(settings, f"citylake-maintenance-{args.table}")
    run = RunContext(args.run_id, args.dag_id, args.task_id, args.logical_date.isoformat())
    alerts.file_alerts(spark, settings)
    if args.action == "retain":
        result = expire(spark, settings, args.table, args.as_of or args.logical_date)
    else:
        result = optimize(spark, settings, args.table)
    record_maintenance(spark, settings, run, args.table, result)
