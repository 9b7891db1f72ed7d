"""Spark job: the files landed for one day of NYC 311 -> bronze -> validated -> silver -> gold.

One application does all of a day's Spark steps, because starting a Spark application costs more
than processing a day of 311 (see README, "Submission cost"). Every step replaces exactly what it
produces, so clearing and rerunning the Airflow task, or backfilling a range, gives the same tables.

    spark-submit ... jobs/run.py nyc311 --logical-date 2022-05-01 --run-id manual
"""

from __future__ import annotations

import argparse
import logging
import os
from datetime import date, datetime, timezone
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs import alerts, lake, publish, quality, report
from jobs.audit import Reconciliation, RunContext, record_quality, record_reconciliation
from jobs.landing import ManifestEntry, manifest_entries
from jobs.nyc311 import columns as raw
from jobs.nyc311 import transforms
from jobs.settings import Settings, load_settings
from jobs.spark_config import build_session

BRONZE = ("bronze", "nyc311_service_requests")
SILVER_TARGET = publish.Target("silver", "service_requests", "silver_service_requests.json")
GOLD_TARGET = publish.Target("gold", "service_requests_daily", "gold_service_requests_daily.json")
QUARANTINE = ("quarantine", "service_requests")
# The delivered batch's suite, run before row rules split it.
SUITE = "nyc311_batch.json"

# Bronze keeps the delivered header names, spaces included: Delta column mapping allows them.
BRONZE_PROPERTIES = {"delta.columnMapping.mode": "name", "delta.appendOnly": "true"}
CORRUPT_RECORD = "_corrupt_record"

log = logging.getLogger("citylake.nyc311")


class DeliveryError(RuntimeError):
    """A landed file cannot be processed; the message names the file and what is wrong."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="nyc311", description=__doc__.splitlines()[0])
    parser.add_argument("--logical-date", required=True, type=date.fromisoformat, help="the day whose landed files to process (YYYY-MM-DD)")
    parser.add_argument("--run-id", default="manual", help="Airflow run id, recorded in the audit tables")
    parser.add_argument("--dag-id", default="manual")
    parser.add_argument("--task-id", default="process")
    parser.add_argument("--lake-root", help="overrides CITYLAKE_LAKE_ROOT")
    parser.add_argument("--landing-root", help="overrides CITYLAKE_LANDING_ROOT")
    parser.add_argument("--expectations-dir", type=Path, required=True, help="folder of the Great Expectations suites")
    return parser.parse_args(argv)


def batch_id_of(entry: ManifestEntry) -> str:
    """A batch is one delivered file's content: the same bytes always get the same id."""
    return f"{entry.source}-{entry.sha256[:16]}"


def ingest_bronze(spark: SparkSession, settings: Settings, entry: ManifestEntry) -> None:
    """Append a landed file to bronze, every column a string as delivered; a no-op if already there."""
    batch_id = batch_id_of(entry)
    if lake.table_exists(spark, settings, *BRONZE) and _bronze_batch(spark, settings, entry).limit(1).count():
        log.info("bronze already holds %s (%s): skipped", entry.file_name, batch_id)
        return
    header = spark.read.option("header", True).option("inferSchema", False).csv(entry.landed_path).columns
    missing = [column for column in raw.REQUIRED_COLUMNS if column not in header]
    if missing:
        raise DeliveryError(f"{entry.landed_path}: header lacks required column(s) {missing}")
    schema = ", ".join(f"`{column}` string" for column in header) + f", {CORRUPT_RECORD} string"
    delivered = (
        spark.read.schema(schema)
        .option("header", True)
        .option("multiLine", True)  # 311 free-text fields may hold quoted line breaks
        .option("mode", "PERMISSIVE")  # a malformed row is kept whole in _corrupt_record and quarantined
        .option("columnNameOfCorruptRecord", CORRUPT_RECORD)
        .csv(entry.landed_path)
    )
    bronze_batch = delivered.select(
        *[F.col(f"`{column}`") for column in header],
        F.col(CORRUPT_RECORD),
        F.lit(entry.file_name).alias("_source_file"),
        F.lit(batch_id).alias("_batch_id"),
        F.lit(datetime.now(timezone.utc).replace(tzinfo=None)).cast("timestamp").alias("_ingested_at"),
        F.lit(entry.logical_date).cast("date").alias("_logical_date"),
    )
    lake.create_table(spark, settings, *BRONZE, bronze_batch.schema, ("_logical_date",), BRONZE_PROPERTIES)
    # mergeSchema: a delivery may add columns; bronze keeps them (earlier rows read them as NULL).
    bronze_batch.write.format("delta").mode("append").option("mergeSchema", "true").save(settings.table_path(*BRONZE))


def _bronze_batch(spark: SparkSession, settings: Settings, entry: ManifestEntry) -> DataFrame:
    # The partition filter prunes the read to the delivery's day.
    return lake.read_table(spark, settings, *BRONZE).where(
        (F.col("_logical_date") == F.lit(entry.logical_date).cast("date")) & (F.col("_batch_id") == batch_id_of(entry))
    )


def process_file(spark: SparkSession, settings: Settings, run: RunContext, entry: ManifestEntry, expectations_dir: Path) -> DataFrame:
    """Bronze -> validate -> quarantine + silver (through the gate) for one file; returns the silver batch."""
    ingest_bronze(spark, settings, entry)
    batch_id = batch_id_of(entry)
    bronze_batch = _bronze_batch(spark, settings, entry)
    typed = transforms.typed_requests(bronze_batch).persist()
    try:
        # The delivery as a whole, before row rules: a broken export stops here, before any quarantine.
        batch_results = quality.validate(typed, expectations_dir / SUITE, label=f"{entry.file_name} {batch_id}")
        failures = quality.critical_failures(batch_results)
        if failures:
            record_quality(spark, settings, run, SILVER_TARGET.name, batch_id, None, batch_results)
            raise quality.CriticalExpectationFailed(quality.describe_failure(f"{SILVER_TARGET.name} <- {entry.file_name}", batch_id, failures))

        published, quarantined = transforms.split_by_row_rules(typed)
        silver_batch = transforms.service_requests(published).persist()
        quarantined = quarantined.persist()
        lake.replace_where(quarantined, settings, *QUARANTINE, f"_batch_id = {lake.sql_literal(batch_id)}")
        bronze_rows, quarantined_rows = typed.count(), quarantined.count()
        publish.write_audit_publish(
            spark, settings, run, SILVER_TARGET, silver_batch, batch_id, expectations_dir,
            lambda staged: lake.merge_by_key(staged, settings, SILVER_TARGET.zone, SILVER_TARGET.table, ("request_id",), transforms.SILVER_UPDATE_WHEN),
            [entry.file_name],
            earlier_results=batch_results,
            reconciliation={"rows_to_publish": bronze_rows - quarantined_rows},
        )
        check = Reconciliation(
            source=raw.SOURCE,
            batch_id=batch_id,
            source_file=entry.file_name,
            manifest_rows=entry.rows,
            bronze_rows=bronze_rows,
            published_rows=silver_batch.count(),
            quarantined_rows=quarantined_rows,
        )
        record_reconciliation(spark, settings, run, check)
        log.info("%s: %s", entry.file_name, check)
        return silver_batch
    finally:
        typed.unpersist()


def publish_gold(spark: SparkSession, settings: Settings, run: RunContext, silver_batches: list[DataFrame], source_files: list[str], expectations_dir: Path) -> None:
    """Recompute the gold days the batches changed, and every later day already in gold, through the gate.

    Later days depend on earlier ones through "still open at end of day", so a backfill of an early
    day refreshes them too; replacing exactly that day range keeps reruns idempotent.
    """
    spans = [span for batch in silver_batches if (span := transforms.days_touched(batch))]
    if not spans:
        return
    first_day = min(span[0] for span in spans)
    last_day = max(span[1] for span in spans)
    if lake.table_exists(spark, settings, GOLD_TARGET.zone, GOLD_TARGET.table):
        latest_in_gold = lake.read_table(spark, settings, GOLD_TARGET.zone, GOLD_TARGET.table).agg(F.max("day")).first()[0]
        if latest_in_gold and latest_in_gold > last_day:
            last_day = latest_in_gold
    silver = lake.read_table(spark, settings, SILVER_TARGET.zone, SILVER_TARGET.table)
    daily = transforms.service_requests_daily(silver, first_day, last_day)
    created_in_range = silver.where(F.col("created_date").between(first_day, last_day)).count()
    days = f"day BETWEEN '{first_day}' AND '{last_day}'"
    publish.write_audit_publish(
        spark, settings, run, GOLD_TARGET, daily, f"{raw.SOURCE}-days-{first_day}-{last_day}", expectations_dir,
        lambda staged: lake.replace_where(staged, settings, GOLD_TARGET.zone, GOLD_TARGET.table, days),
        source_files,
        reconciliation={"silver_requests_created": created_in_range},
    )
    log.info("gold %s: days %s..%s replaced", GOLD_TARGET.name, first_day, last_day)


def run(spark: SparkSession, settings: Settings, run_context: RunContext, expectations_dir: Path) -> None:
    """All Spark steps for one logical date, then the run's quality report (also when a gate failed)."""
    alerts.file_alerts(spark, settings)
    entries = manifest_entries(settings, raw.SOURCE, run_context.logical_date)
    if not entries:
        raise DeliveryError(f"{settings.landing_root}/_manifest/{raw.SOURCE}: nothing landed for {run_context.logical_date}")
    try:
        silver_batches = [process_file(spark, settings, run_context, entry, expectations_dir) for entry in entries]
        publish_gold(spark, settings, run_context, silver_batches, [entry.file_name for entry in entries], expectations_dir)
        for batch in silver_batches:
            batch.unpersist()
    finally:
        report.write_report_logging_errors(spark, settings, run_context.run_id)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    overrides = {key: value for key, value in (("CITYLAKE_LAKE_ROOT", args.lake_root), ("CITYLAKE_LANDING_ROOT", args.landing_root)) if value}
    settings = load_settings({**os.environ, **overrides})
    run_context = RunContext(args.run_id, args.dag_id, args.task_id, args.logical_date.isoformat())
    spark = build_session(settings, f"citylake-nyc311-{args.logical_date}")
    run(spark, settings, run_context, args.expectations_dir)
