"""The lake at a glance: every table with its row count, the latest quality results and reconciliations."""

from __future__ import annotations

import os

from pyspark.sql import functions as F
from pyspark.sql import Window

from jobs import alerts, lake
from jobs.declarations import registry
from jobs.settings import load_settings
from jobs.spark_config import build_session


def print_summary() -> None:
    settings = load_settings()
    spark = build_session(settings, "citylake-summary")
    try:
        alerts.file_alerts(spark, settings)
        tables = lake.register_catalog(spark, settings)
        print("\n== Tables (as declared: jobs/<domain>/declarations.yaml)")
        for table in sorted(registry().in_zones(*lake.ZONES), key=lambda table: (lake.ZONES.index(table.zone), table.name)):
            rows = f"{spark.table(table.name).count():>10,} rows" if table.name in tables else "    not written yet"
            print(f"  {table.name:<42} {rows}  ({'restricted' if table.restricted else 'BI' if table.bi else 'curated'})")
        for name in sorted(set(tables) - set(registry().tables)):
            print(f"  {name:<42} UNDECLARED: found in the lake, declared nowhere")
        if "audit.dq_results" in tables:
            print("\n== Quality (latest run per table and batch)")
            results = spark.table("audit.dq_results")
            latest = Window.partitionBy("table_name", "batch_id").orderBy(F.col("validated_at").desc())
            latest_runs = (
                results.withColumn("_latest", F.first("run_id").over(latest))
                .where(F.col("run_id") == F.col("_latest"))
                .groupBy("table_name", "batch_id", "run_id")
                .agg(
                    F.count("*").alias("expectations"),
                    F.sum(F.col("success").cast("int")).alias("passed"),
                    F.sum(F.when(~F.col("success") & (F.col("severity") == "critical"), 1).otherwise(0)).alias("critical_failed"),
                    F.sum(F.when(~F.col("success") & (F.col("severity") == "warning"), 1).otherwise(0)).alias("warnings"),
                )
                .orderBy("table_name", "batch_id")
            )
            for row in latest_runs.collect():
                print(
                    f"  {row.table_name} batch {row.batch_id} (run {row.run_id}): {row.passed}/{row.expectations} passed, "
                    f"{row.critical_failed} critical failed, {row.warnings} warnings"
                )
        if "audit.reconciliation" in tables:
            print("\n== Reconciliation (raw rows = published + quarantined)")
            latest = Window.partitionBy("batch_id").orderBy(F.col("checked_at").desc())
            for row in (
                spark.table("audit.reconciliation")
                .withColumn("_rank", F.row_number().over(latest))
                .where("_rank = 1")
                .orderBy("logical_date", "source_file")
                .collect()
            ):
                verdict = "balanced" if row.balanced else "NOT BALANCED"
                print(
                    f"  {row.logical_date} {row.source_file}: raw {row.manifest_rows} = published {row.published_rows}"
                    f" + quarantined {row.quarantined_rows}: {verdict}"
                )
        if "audit.alerts" in tables:
            print("\n== Alerts (failed tasks, latest first)")
            for row in spark.table("audit.alerts").orderBy(F.col("raised_at").desc()).limit(10).collect():
                print(f"  {row.raised_at} {row.dag_id}.{row.task_id} ({row.run_id}, try {row.try_number}): {row.error.splitlines()[0][:160] if row.error else ''}")
        port = os.environ.get("CITYLAKE_AIRFLOW_PORT", "8080")
        print("\n== Where to look")
        print(f"  Airflow UI:      http://127.0.0.1:{port}")
        print(f"  lake:            {settings.lake_root}")
        print(f"  quality report:  {settings.reports_root}/quality/index.html (Data Docs per run under data_docs/)")
    finally:
        spark.stop()
