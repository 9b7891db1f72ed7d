"""The lake's catalog and its idempotent writes.

Tables live at ``<lake_root>/<zone>/<table>`` and are known to Spark as ``<zone>.<table>``. The lake's
layout *is* the catalog: an application that queries by name (the BI SQL endpoint, the summary, a
notebook) registers the Delta tables it finds under the zones in its own in-memory session catalog.
Any number of applications then share one catalog without a metastore process, on a local disk and
on S3 alike. Jobs address tables by path and skip registration (a Delta log read per table).
Production deployments that have a Hive metastore or Glue can use it instead (see README).

Every write here replaces exactly what it produces (a key range with MERGE, a predicate with
``replaceWhere``), so a rerun leaves the same table as the first run.
"""

from __future__ import annotations

import logging
import random
import time

from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame, SparkSession

from jobs.settings import Settings

ZONES = ("bronze", "silver", "gold", "quarantine", "audit")

log = logging.getLogger(__name__)


def register_catalog(spark: SparkSession, settings: Settings, zones: tuple[str, ...] = ZONES, only: set[str] | None = None) -> list[str]:
    """Create the zone databases and register every Delta table found under them; returns the names.

    ``only``: register just these ``zone.table`` names (the SQL endpoint's declared exposure).
    Registering an already registered table is a no-op, so calling it again picks up new tables only.
    """
    registered = []
    for zone in zones:
        zone_path = settings.zone_path(zone)
        if spark.catalog.databaseExists(zone):
            # Never DROP a zone database: Spark's in-memory catalog deletes its folder. Re-point it instead.
            spark.sql(f"ALTER DATABASE {zone} SET LOCATION '{zone_path}'")
        else:
            spark.sql(f"CREATE DATABASE {zone} LOCATION '{zone_path}'")
        for table in tables_in(spark, settings, zone):
            name = f"{zone}.{table}"
            if only is not None and name not in only:
                continue
            try:
                spark.sql(f"CREATE TABLE IF NOT EXISTS {name} USING delta LOCATION '{settings.table_path(zone, table)}'")
            except AnalysisException as error:
                if error.getCondition() != "DELTA_CREATE_EXTERNAL_TABLE_WITHOUT_TXN_LOG":
                    raise
                # A first write is under way: its log has no commit yet. The next call registers it.
                log.info("%s: no commit yet, not registered", name)
                continue
            registered.append(name)
    return registered


def tables_in(spark: SparkSession, settings: Settings, zone: str) -> list[str]:
    """Names of the Delta tables (folders with a ``_delta_log``) under a zone, on any Hadoop file system."""
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(settings.zone_path(zone))
    filesystem = path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    if not filesystem.exists(path):
        return []
    return sorted(
        status.getPath().getName()
        for status in filesystem.listStatus(path)
        if status.isDirectory() and filesystem.exists(jvm.org.apache.hadoop.fs.Path(status.getPath(), "_delta_log"))
    )


def read_table(spark: SparkSession, settings: Settings, zone: str, table: str) -> DataFrame:
    """A table by its lake path: jobs do not need the catalog (registering costs a log read per table)."""
    return spark.read.format("delta").load(settings.table_path(zone, table))


def table_exists(spark: SparkSession, settings: Settings, zone: str, table: str) -> bool:
    from delta.tables import DeltaTable

    return DeltaTable.isDeltaTable(spark, settings.table_path(zone, table))


def create_table(
    spark: SparkSession,
    settings: Settings,
    zone: str,
    table: str,
    schema,
    partition_by: tuple[str, ...] = (),
    properties: dict[str, str] | None = None,
) -> None:
    """Create ``zone.table`` at its lake path with table properties, unless it exists.

    Only needed where a table must be created with properties (column mapping, append-only); other
    tables are created by their first write.
    """
    from delta.tables import DeltaTable

    builder = DeltaTable.createIfNotExists(spark).location(settings.table_path(zone, table)).addColumns(schema)
    if partition_by:
        builder = builder.partitionedBy(*partition_by)
    for key, value in (properties or {}).items():
        builder = builder.property(key, value)
    builder.execute()


# Audit tables take rows from every source's applications; two may commit at once.
CONFLICT_RETRIES = 5


def _conflicts() -> tuple[type[Exception], ...]:
    """Delta's exceptions for a concurrent writer's commit.

    Listed one by one: in delta-spark's Python API they do not share a base class.
    """
    from delta import exceptions

    return (
        exceptions.ConcurrentAppendException,
        exceptions.ConcurrentDeleteDeleteException,
        exceptions.ConcurrentDeleteReadException,
        exceptions.ConcurrentTransactionException,
        exceptions.ConcurrentWriteException,
        exceptions.DeltaConcurrentModificationException,
        exceptions.MetadataChangedException,  # two first writes of one table
        exceptions.ProtocolChangedException,
    )


def retry_on_conflict(write, attempts: int = CONFLICT_RETRIES) -> None:
    """Run a Delta ``write``, again if another writer committed a conflicting change in between.

    Delta's optimistic concurrency makes the losing writer fail rather than corrupt the table; for
    writes that replace only their own rows (an audit run's rows, a batch's quarantine), trying again
    on the new snapshot is correct.
    """
    conflicts = _conflicts()  # imported first: delta.exceptions maps the JVM's exceptions to these classes
    for attempt in range(1, attempts + 1):
        try:
            write()
            return
        except conflicts:
            if attempt == attempts:
                raise
            time.sleep(random.uniform(0.5, 2.0) * attempt)


def replace_where(
    df: DataFrame,
    settings: Settings,
    zone: str,
    table: str,
    predicate: str,
    partition_by: tuple[str, ...] = (),
) -> None:
    """Atomically replace the rows of ``zone.table`` matching ``predicate`` with ``df`` (creating the table).

    Delta checks that every written row matches the predicate, so a bug cannot overwrite other data.
    """
    writer = df.write.format("delta").mode("overwrite").option("replaceWhere", predicate)
    if partition_by:
        writer = writer.partitionBy(*partition_by)
    retry_on_conflict(lambda: writer.save(settings.table_path(zone, table)))


def merge_by_key(
    df: DataFrame,
    settings: Settings,
    zone: str,
    table: str,
    keys: tuple[str, ...],
    update_when: str | None = None,
    partition_by: tuple[str, ...] = (),
) -> None:
    """Upsert ``df`` into ``zone.table`` by ``keys``; existing rows change only where ``update_when`` holds."""
    from delta.tables import DeltaTable

    spark = df.sparkSession
    conflicts = _conflicts()
    if not table_exists(spark, settings, zone, table):
        # The first batch creates the table; "errorifexists" keeps a concurrent creator from being overwritten.
        try:
            df.write.format("delta").mode("errorifexists").partitionBy(*partition_by).save(settings.table_path(zone, table))
            return
        except (AnalysisException, *conflicts):
            if not table_exists(spark, settings, zone, table):
                raise
            # Another writer created it meanwhile: MERGE into it like any later batch.
    on = " AND ".join(f"target.`{key}` = source.`{key}`" for key in keys)

    def merge() -> None:
        target = DeltaTable.forPath(spark, settings.table_path(zone, table))
        target.alias("target").merge(df.alias("source"), on).whenMatchedUpdateAll(condition=update_when).whenNotMatchedInsertAll().execute()

    # A MERGE by key gives the same table when repeated, so a conflict with a concurrent writer is retried.
    retry_on_conflict(merge)


def sql_literal(value: str) -> str:
    """Quote a string for a SQL predicate (file names and batch ids end up in replaceWhere)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
