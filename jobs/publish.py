"""Write, audit, publish: a batch reaches a table BI reads only after its suite passed on the batch itself.

The batch must hold exactly its table's declared columns (jobs/declarations.py), so an unclassified
column never leaves bronze. It is computed once: persisted on the engine by the caller (silver, a source's
gold) or else written to the staging zone and read back (the AML alerts, the products: see
``write_audit_publish``), validated with the table's Great Expectations suite, and only then published from
that same copy with the table's own idempotent write (MERGE by key or an exact replace): what was validated
is what is published. A critical failure publishes nothing, leaves the batch in the staging zone
(``<lake>/staging/<zone>.<table>/<batch>``) for inspection and fails the task with table, batch,
expectation and evidence. (A persisted batch is not written to staging when it passes: that write and
read-back cost a Delta commit and a scan per publication, and the persisted copy already pins what is checked.)
Every result is recorded in ``audit.dq_results`` with the Delta version the publication produced, and
each publication in ``audit.publications`` with its row count and the raw files behind it.
"""

from __future__ import annotations

import logging
import statistics
from datetime import date, timedelta
from pathlib import Path
from typing import Callable

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import Window
from pyspark.sql import functions as F

from jobs import lake, pseudonyms, quality
from jobs.declarations import Table
from jobs.landing import store_for
from jobs.phases import phase
from jobs.audit import RunContext, record_publication, record_quality
from jobs.settings import Settings

STAGING_ZONE = "staging"
# Volume: a batch's rows against the median of the table's last publications (before this logical date).
VOLUME_HISTORY = 7
VOLUME_MIN_HISTORY = 3
VOLUME_BAND = (0.5, 2.0)
# Freshness: the newest day in a batch is at most this many days older than the run's logical date.
FRESHNESS_DAYS = 1

log = logging.getLogger(__name__)


def staging_key(target: Table, batch_id: str) -> str:
    """Where a failed batch is kept, relative to the lake root."""
    return f"{STAGING_ZONE}/{target.name}/{batch_id}"


def staging_path(settings: Settings, target: Table, batch_id: str) -> str:
    return f"{settings.lake_root.rstrip('/')}/{staging_key(target, batch_id)}"


def staging_copies(settings: Settings, target: Table) -> list[str]:
    """The keys (relative to the lake root) of the table's staging copies: failed batches kept for inspection."""
    return [f"{STAGING_ZONE}/{target.name}/{batch}" for batch in store_for(settings.lake_root).folders(f"{STAGING_ZONE}/{target.name}")]


def run_parameters(spark: SparkSession, settings: Settings, target: Table, logical_date: str) -> dict:
    """Values for the suites' ``$PARAMETER`` placeholders: freshness and volume bounds for this run."""
    parameters = suite_parameters(target, logical_date)
    history = recent_volumes(spark, settings, target, logical_date)
    if len(history) >= VOLUME_MIN_HISTORY:
        median = statistics.median(history)
        parameters.update(volume_min=int(median * VOLUME_BAND[0]), volume_max=int(median * VOLUME_BAND[1]) + 1)
    return parameters


def suite_parameters(target: Table, logical_date: str) -> dict:
    """The placeholders' values that need no history: volume unbounded (a table's first runs have none)."""
    day = date.fromisoformat(logical_date)
    return {
        "freshness_min_day": (day - timedelta(days=FRESHNESS_DAYS)).isoformat(),
        # Monthly sources: the batch of a month's run holds that month.
        "freshness_min_month": day.replace(day=1).isoformat(),
        "volume_min": 0,
        "volume_max": None,
        # The exact schema check's ordered columns: the table's declaration is their one home.
        "declared_columns": target.column_names,
        # What a pseudonym looks like: jobs/pseudonyms.py is its one home.
        "pseudonym_pattern": f"^[0-9a-f]{{{pseudonyms.PSEUDONYM_HEX_CHARS}}}$",
    }


# Every table's volume history as of one version of audit.publications and one logical date: a run's gates
# (silver's, gold's) share one query of it (0.5-0.6 s each on the warm engine) instead of one each.
_VOLUMES: dict[tuple[str, int, str], dict[str, list[int]]] = {}


def recent_volumes(spark: SparkSession, settings: Settings, target: Table, logical_date: str) -> list[int]:
    """Rows of the table's last publications before ``logical_date`` (the latest run per day), newest first."""
    try:  # one listing of the log gives both: whether the table exists, and its version
        version = lake.latest_version(spark, settings, "audit", "publications")
    except FileNotFoundError:
        return []
    key = (settings.table_path("audit", "publications"), version, logical_date)
    if key not in _VOLUMES:
        _VOLUMES.clear()  # a job works on one logical date: keep the newest only
        _VOLUMES[key] = _volumes_by_table(spark, settings, logical_date)
    return _VOLUMES[key].get(target.name, [])


def _volumes_by_table(spark: SparkSession, settings: Settings, logical_date: str) -> dict[str, list[int]]:
    """Per table, the rows of its last ``VOLUME_HISTORY`` publications (batches) before ``logical_date``."""
    latest = (
        lake.read_table(spark, settings, "audit", "publications")
        .where(F.col("logical_date") < F.lit(logical_date).cast("date"))
        .groupBy("table_name", "logical_date", "batch_id")
        .agg(F.max_by("rows", "published_at").alias("rows"))
    )
    newest_first = Window.partitionBy("table_name").orderBy(F.col("logical_date").desc(), F.col("batch_id"))
    ranked = latest.withColumn("rank", F.row_number().over(newest_first)).where(F.col("rank") <= VOLUME_HISTORY)
    volumes: dict[str, list[int]] = {}
    for row in ranked.orderBy("table_name", "rank").collect():
        volumes.setdefault(row.table_name, []).append(row.rows)
    return volumes


def write_audit_publish(
    spark: SparkSession,
    settings: Settings,
    run: RunContext,
    target: Table,
    batch: DataFrame,
    batch_id: str,
    expectations_dir: Path,
    publish: Callable[[DataFrame], None],
    source_files: list[str],
    earlier_results: list[quality.ExpectationResult] = (),
    reconciliation: dict | None = None,
) -> int:
    """Stage ``batch``, validate it, publish it with ``publish``; returns the Delta version published.

    ``earlier_results`` (the raw batch's checks before row rules) are recorded with the same Delta
    version, so every result points at the publication it allowed. ``reconciliation`` holds the suite
    parameters that tie the batch to the layer below it (expected row counts or sums).
    """
    # Default deny: nothing undeclared (so unclassified) is written past bronze, not even to staging.
    target.check_schema(batch.schema)
    # The caller may have persisted the batch already (and use it after): it is validated and published as
    # it is. Otherwise the batch is written to staging and read back: a plan with order-sensitive aggregates
    # (collect_list over windows, as the AML rules have) misses its own cache entry, so each expectation would
    # compute it again (measured: a 30 s gate instead of 3 s) and the gate might not see the rows that are
    # published; a checkpoint would stay on the shared engine after the run (Spark Connect 4.2 does not
    # release one when the client drops it).
    staged_at = staging_path(settings, target, batch_id)
    with phase(f"{target.name} stage"):
        if batch.is_cached:
            staged = batch
        else:
            batch.write.format("delta").mode("overwrite").option("overwriteSchema", "true").save(staged_at)
            staged = spark.read.format("delta").load(staged_at)
        staged_rows = staged.count()
    suite_path = expectations_dir / target.suite
    with phase(f"{target.name} gate"):
        results = list(earlier_results) + quality.validate(staged, suite_path, {**run_parameters(spark, settings, target, run.logical_date), **(reconciliation or {})}, label=f"{target.name} {batch_id}")
    failures = quality.critical_failures(results)
    if failures:
        if batch.is_cached:
            staged.write.format("delta").mode("overwrite").option("overwriteSchema", "true").save(staged_at)
        record_quality(spark, settings, run, target.name, batch_id, None, results)
        raise quality.CriticalExpectationFailed(
            quality.describe_failure(target.name, batch_id, failures) + f"\nnothing was published; the batch is kept at {staged_at}"
        )
    with phase(f"{target.name} publish"):
        publish(staged)
        version = latest_version(spark, settings, target)
    record_quality(spark, settings, run, target.name, batch_id, version, results)
    record_publication(spark, settings, run, target.name, batch_id, version, staged_rows, source_files)
    # A rerun that passes clears what an earlier failed attempt of the batch left in staging.
    store_for(settings.lake_root).delete_tree(staging_key(target, batch_id))
    log.info("%s: batch %s published as version %s", target.name, batch_id, version)
    return version


def latest_version(spark: SparkSession, settings: Settings, target: Table) -> int:
    return lake.latest_version(spark, settings, target.zone, target.table)

