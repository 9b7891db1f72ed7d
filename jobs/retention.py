"""Retention: the rows of a table older than its declared ``retention_days`` are deleted, then purged from storage.

A source's bronze retention covers its landed files too (the same raw data, as delivered): they are deleted
with bronze's rows (``landing.expire_landed``), the manifest keeping each file's entry, marked expired.

Raw personal data (bronze, quarantine) is kept only as long as its table declares. Age counts from the day a
row was delivered for, ``RETENTION_COLUMN``, which every table with a retention declares (the registry refuses
one without it): a backfill of days already older than the retention expires at the next maintenance run.
The rows go in one Delta DELETE; the table's earlier versions still reference their files, for time travel, for
``delta.deletedFileRetentionDuration`` (Delta's default, 7 days), and VACUUM removes the files from storage
once that window has passed: a later weekly run purges them, within two weeks of the DELETE. Where deletion
vectors are on, a DELETE only marks rows, so ``REORG ... APPLY (PURGE)`` first rewrites the files that hold them.
The log, which keeps each file's min/max statistics for 30 days, holds none of a classified column
(``declarations.Table.statistics_properties``).
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from pyspark.sql import SparkSession

from jobs import lake, landing
from jobs.declarations import RETENTION_COLUMN, Table, registry
from jobs.settings import Settings

log = logging.getLogger("citylake.retention")


def expires_before(table: Table, as_of: date) -> date:
    """Rows delivered for a day before this one have outlived the table's retention on ``as_of``."""
    return as_of - timedelta(days=table.retention_days)


def _last_operation(spark: SparkSession, path: str) -> dict:
    entry = spark.sql(f"DESCRIBE HISTORY delta.{path} LIMIT 1").first()
    return {"version": entry["version"], "metrics": dict(entry["operationMetrics"] or {})}


def enforce(spark: SparkSession, settings: Settings, table: Table, as_of: date) -> dict:
    """Delete the expired rows of ``table`` and VACUUM it; what was done, for ``audit.maintenance``."""
    cutoff = expires_before(table, as_of)
    done = {"cutoff": cutoff, "rows_deleted": 0, "files_removed": 0, "files_added": 0, "delta_version": None, "oldest_held": None}
    for ingestion in registry().ingestions.values():
        if ingestion.bronze == table.name:
            expired = landing.expire_landed(settings, ingestion.source, cutoff.isoformat())
            log.info("%s: %d landed file(s) delivered before %s deleted", ingestion.source, len(expired), cutoff)
    if not lake.table_exists(spark, settings, table.zone, table.table):
        log.info("%s does not exist yet: nothing to expire", table.name)
        return done
    path = lake.quoted(settings.table_path(table.zone, table.table))
    condition = f"{lake.quoted(RETENTION_COLUMN)} < DATE '{cutoff.isoformat()}'"
    # Counted first: a DELETE of whole partitions only drops files and need not count their rows; and when
    # nothing has expired, no empty version is committed (a rerun changes nothing).
    expired = spark.sql(f"SELECT count(*) AS n FROM delta.{path} WHERE {condition}").first()["n"]
    properties = spark.sql(f"DESCRIBE DETAIL delta.{path}").first()["properties"] or {}
    if table.append_only and properties.get("delta.appendOnly") != "true":
        lake.set_append_only(spark, settings.table_path(table.zone, table.table), True)  # an earlier attempt died between lifting and setting it again
    if expired:
        if table.append_only:
            # Delta refuses any DELETE on an append-only table (bronze); retention alone may remove its rows:
            # the property is lifted for the DELETE's commit and set again, each a version the history shows.
            # The task runs in the writer's pool, so no append meets the table while it is lifted.
            lake.set_append_only(spark, settings.table_path(table.zone, table.table), False)
        try:
            lake.retry_on_conflict(lambda: spark.sql(f"DELETE FROM delta.{path} WHERE {condition}").collect())
            deleted = _last_operation(spark, path)
        finally:
            if table.append_only:
                lake.set_append_only(spark, settings.table_path(table.zone, table.table), True)
        done.update(
            rows_deleted=expired, files_removed=int(deleted["metrics"].get("numRemovedFiles", 0)),
            files_added=int(deleted["metrics"].get("numAddedFiles", 0)), delta_version=deleted["version"],
        )
    # Also when nothing expired now: a retry after a DELETE whose REORG did not happen must still purge.
    if properties.get("delta.enableDeletionVectors") == "true":
        spark.sql(f"REORG TABLE delta.{path} APPLY (PURGE)").collect()
    spark.sql(f"VACUUM delta.{path}").collect()
    done["oldest_held"] = spark.sql(f"SELECT min({lake.quoted(RETENTION_COLUMN)}) AS day FROM delta.{path}").first()["day"]
    log.info("%s: rows delivered before %s deleted (retention %s days): %s", table.name, cutoff, table.retention_days, done)
    return done
