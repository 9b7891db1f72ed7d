"""The lake's catalog and its idempotent writes.

Tables live at ``<lake_root>/<zone>/<table>`` and are known to Spark as ``<zone>.<table>``. The lake's
layout *is* the catalog: every application registers the Delta tables it finds under the zones in
its own (in-memory) session catalog when it starts. Any number of applications (jobs, the BI SQL
endpoint) then share one catalog without a metastore process, on a local disk and on S3 alike.
Production deployments that have a Hive metastore or Glue can use it instead (see README).

Every write here replaces exactly what it produces (a key range with MERGE, a predicate with
``replaceWhere``), so a rerun leaves the same table as the first run.
"""

from __future__ import annotations

import logging

from pyspark.sql import DataFrame, SparkSession

from jobs.settings import Settings

ZONES = ("bronze", "silver", "gold", "quarantine", "audit")

log = logging.getLogger(__name__)


def register_catalog(spark: SparkSession, settings: Settings) -> list[str]:
    """Create the zone databases and register every Delta table found under them; returns the names."""
    jvm = spark.sparkContext._jvm
    hadoop_conf = spark.sparkContext._jsc.hadoopConfiguration()
    registered = []
    for zone in ZONES:
        zone_path = settings.zone_path(zone)
        if spark.catalog.databaseExists(zone):
            # Never DROP a zone database: Spark's in-memory catalog deletes its folder. Re-point it instead.
            spark.sql(f"ALTER DATABASE {zone} SET LOCATION '{zone_path}'")
        else:
            spark.sql(f"CREATE DATABASE {zone} LOCATION '{zone_path}'")
        path = jvm.org.apache.hadoop.fs.Path(zone_path)
        filesystem = path.getFileSystem(hadoop_conf)
        if not filesystem.exists(path):
            continue
        for status in filesystem.listStatus(path):
            table_dir = status.getPath()
            if status.isDirectory() and filesystem.exists(jvm.org.apache.hadoop.fs.Path(table_dir, "_delta_log")):
                name = f"{zone}.{table_dir.getName()}"
                spark.sql(f"CREATE TABLE IF NOT EXISTS {name} USING delta LOCATION '{table_dir.toString()}'")
                registered.append(name)
    return registered


def table_exists(spark: SparkSession, settings: Settings, zone: str, table: str) -> bool:
    from delta.tables import DeltaTable

    return DeltaTable.isDeltaTable(spark, settings.table_path(zone, table))


def ensure_table(
    spark: SparkSession,
    settings: Settings,
    zone: str,
    table: str,
    schema,
    partition_by: tuple[str, ...] = (),
    properties: dict[str, str] | None = None,
) -> None:
    """Create ``zone.table`` at its lake path with this schema if it does not exist, and register it."""
    from delta.tables import DeltaTable

    builder = (
        DeltaTable.createIfNotExists(spark)
        .tableName(f"{zone}.{table}")
        .location(settings.table_path(zone, table))
        .addColumns(schema)
    )
    if partition_by:
        builder = builder.partitionedBy(*partition_by)
    for key, value in (properties or {}).items():
        builder = builder.property(key, value)
    builder.execute()


def replace_where(
    df: DataFrame,
    settings: Settings,
    zone: str,
    table: str,
    predicate: str,
    partition_by: tuple[str, ...] = (),
) -> None:
    """Atomically replace the rows of ``zone.table`` matching ``predicate`` with ``df``.

    Delta checks that every written row matches the predicate, so a bug cannot overwrite other data.
    """
    ensure_table(df.sparkSession, settings, zone, table, df.schema, partition_by)
    (
        df.write.format("delta")
        .mode("overwrite")
        .option("replaceWhere", predicate)
        .save(settings.table_path(zone, table))
    )


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

    ensure_table(df.sparkSession, settings, zone, table, df.schema, partition_by)
    target = DeltaTable.forPath(df.sparkSession, settings.table_path(zone, table))
    on = " AND ".join(f"target.`{key}` = source.`{key}`" for key in keys)
    (
        target.alias("target")
        .merge(df.alias("source"), on)
        .whenMatchedUpdateAll(condition=update_when)
        .whenNotMatchedInsertAll()
        .execute()
    )


def latest_version(spark: SparkSession, settings: Settings, zone: str, table: str) -> int:
    """The Delta version a table is at now: what an auditor needs to tie a publication to a commit."""
    from delta.tables import DeltaTable

    history = DeltaTable.forPath(spark, settings.table_path(zone, table)).history(1)
    return int(history.select("version").first()[0])


def sql_literal(value: str) -> str:
    """Quote a string for a SQL predicate (file names and batch ids end up in replaceWhere)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
