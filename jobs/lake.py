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
import uuid
from datetime import datetime, timezone

from pyspark.errors import AnalysisException, PySparkException
from pyspark.sql import DataFrame, SparkSession

from jobs import declarations
from jobs.landing import key_part, store_for
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
    """Names of the Delta tables (folders with a Delta log) under a zone, locally or on S3.

    Read from storage, not through Spark: a Connect client has no Hadoop file system of its own.
    """
    store = store_for(settings.lake_root)
    return [table for table in store.folders(f"{zone}/") if _has_commit(store, f"{zone}/{table}")]


def _has_commit(store, key: str) -> bool:
    """Whether a table folder's Delta log holds a commit (a first write under way has none yet)."""
    return any(name.endswith((".json", ".checkpoint.parquet")) for name in store.names(f"{key}/_delta_log/"))


def read_table(spark: SparkSession, settings: Settings, zone: str, table: str) -> DataFrame:
    """A table by its lake path: jobs do not need the catalog (registering costs a log read per table)."""
    return spark.read.format("delta").load(settings.table_path(zone, table))


def table_exists(spark: SparkSession, settings: Settings, zone: str, table: str) -> bool:
    return _has_commit(store_for(settings.lake_root), f"{zone}/{table}")


def create_table(
    spark: SparkSession,
    settings: Settings,
    zone: str,
    table: str,
    schema,
    properties: dict[str, str] | None = None,
) -> None:
    """Create ``zone.table`` at its lake path with table properties and its declared partitioning, unless it exists.

    Only needed where a table must exist before its first write (bronze, appended to with column mapping);
    other tables are created by their first write, which passes their declared properties (append-only,
    statistics columns) as ``delta.*`` options. SQL, since Delta's Python builder needs a classic session.
    """
    declared = _declared(zone, table)
    partition_by = declared.partition_by if declared else ()
    properties = {**(declared.creation_properties(schema.fieldNames()) if declared else {}), **(properties or {})}
    columns = ", ".join(f"{quoted(field.name)} {field.dataType.simpleString()}" for field in schema.fields)
    statement = f"CREATE TABLE IF NOT EXISTS delta.{quoted(settings.table_path(zone, table))} ({columns}) USING DELTA"
    if partition_by:
        statement += f" PARTITIONED BY ({', '.join(quoted(column) for column in partition_by)})"
    if properties:
        statement += " TBLPROPERTIES (" + ", ".join(f"{sql_literal(key)} = {sql_literal(value)}" for key, value in properties.items()) + ")"
    spark.sql(statement)


def _declared(zone: str, table: str) -> declarations.Table | None:
    """``zone.table``'s declaration (None: an undeclared table, a test's or a bench's)."""
    return declarations.registry().tables.get(f"{zone}.{table}")


def _as_declared(writer, df: DataFrame, settings: Settings, zone: str, table: str):
    """``writer`` that creates the table as its declaration asks (properties, partitioning), if this write creates it.

    Delta takes ``delta.*`` options of the write that creates a table as its properties, in that first
    commit, and its ``partitionBy`` as the table's partitioning; on an existing table both are left out
    (its properties and partitioning stay as they were created; maintenance rewrites a table whose
    declared partitioning changed, ``jobs/maintenance.py``)."""
    declared = _declared(zone, table)
    if declared is None:  # the registry first: no storage call for an undeclared table
        return writer
    properties = declared.creation_properties(df.columns)
    if not (properties or declared.partition_by) or table_exists(df.sparkSession, settings, zone, table):
        return writer
    for key, value in properties.items():
        writer = writer.option(key, value)
    return writer.partitionBy(*declared.partition_by) if declared.partition_by else writer


def partition_columns(spark: SparkSession, settings: Settings, zone: str, table: str) -> tuple[str, ...]:
    """The partition columns ``zone.table`` has in storage (``DESCRIBE DETAIL``)."""
    return tuple(spark.sql(f"DESCRIBE DETAIL delta.{quoted(settings.table_path(zone, table))}").first()["partitionColumns"])


def quoted(identifier: str) -> str:
    """A SQL identifier in backticks (bronze keeps delivered names with spaces; paths hold slashes)."""
    return "`" + identifier.replace("`", "``") + "`"


def set_append_only(spark: SparkSession, path: str, append_only: bool) -> None:
    """Set or lift ``delta.appendOnly`` on the table at ``path``: only retention and erasure lift it, for one commit."""
    spark.sql(f"ALTER TABLE delta.{quoted(path)} SET TBLPROPERTIES ('delta.appendOnly' = '{str(append_only).lower()}')").collect()


def latest_version(spark: SparkSession, settings: Settings, zone: str, table: str) -> int:
    """The table's newest Delta version: its newest commit file, ``_delta_log/<version, 20 digits>.json``.

    Read from the log's listing (as ``table_exists`` does), not with ``DESCRIBE HISTORY``: a Spark job and
    a snapshot of the table for one number, 0.3-0.5 s after every publication on the warm engine. Delta
    never deletes the newest commit file (log cleanup keeps everything after the last checkpoint)."""
    names = store_for(settings.lake_root).names(f"{zone}/{table}/_delta_log/")
    versions = [int(name[:-5]) for name in names if len(name) == 25 and name.endswith(".json") and name[:-5].isdigit()]
    if not versions:
        raise FileNotFoundError(f"{settings.table_path(zone, table)} has no Delta commit")
    return max(versions)


# Audit tables take rows from every source's applications; two may commit at once.
CONFLICT_RETRIES = 5


# Delta's error conditions for a concurrent writer's commit (two first writes of one table included).
CONFLICT_CONDITIONS = ("DELTA_CONCURRENT_", "DELTA_METADATA_CHANGED", "DELTA_PROTOCOL_CHANGED")


def is_conflict(error: Exception) -> bool:
    """Whether ``error`` is Delta refusing a commit because another writer committed first."""
    condition = error.getCondition() if isinstance(error, PySparkException) else None
    return bool(condition) and condition.startswith(CONFLICT_CONDITIONS)


def retry_on_conflict(write, attempts: int = CONFLICT_RETRIES) -> None:
    """Run a Delta ``write``, again if another writer committed a conflicting change in between.

    Delta's optimistic concurrency makes the losing writer fail rather than corrupt the table; for
    writes that replace only their own rows (an audit run's rows, a batch's quarantine), trying again
    on the new snapshot is correct.
    """
    for attempt in range(1, attempts + 1):
        try:
            write()
            return
        except PySparkException as error:
            if not is_conflict(error) or attempt == attempts:
                raise
            time.sleep(random.uniform(0.5, 2.0) * attempt)


def replace_where(
    df: DataFrame,
    settings: Settings,
    zone: str,
    table: str,
    predicate: str,
    partition_by: tuple[str, ...] = (),
    merge_schema: bool = False,
) -> None:
    """Atomically replace the rows of ``zone.table`` matching ``predicate`` with ``df`` (creating the table).

    Delta checks that every written row matches the predicate, so a bug cannot overwrite other data.
    ``merge_schema``: columns ``df`` has and the table lacks are added (declared later), never dropped.
    """
    writer = _as_declared(df.write.format("delta").mode("overwrite").option("replaceWhere", predicate), df, settings, zone, table)
    if merge_schema:
        writer = writer.option("mergeSchema", "true")
    if partition_by:
        writer = writer.partitionBy(*partition_by)
    retry_on_conflict(lambda: writer.save(settings.table_path(zone, table)))


def append(df: DataFrame, settings: Settings, zone: str, table: str) -> None:
    """Add ``df``'s rows to ``zone.table`` (creating it as declared); a concurrent first write is retried."""
    writer = _as_declared(df.write.format("delta").mode("append"), df, settings, zone, table)
    retry_on_conflict(lambda: writer.save(settings.table_path(zone, table)))


# Where the lake keeps a marker for each key a table's keyed rows were written under (replace_rows).
WRITTEN_FOLDER = "_written"


def replace_rows(df: DataFrame, settings: Settings, zone: str, table: str, predicate: str, key: str) -> None:
    """Replace ``zone.table``'s rows written under ``key`` (those matching ``predicate``) with ``df``.

    The first write under a key appends: a blind append, which Delta commits without reading the table,
    where a ``replaceWhere`` first finds the files holding the rows it replaces (on the warm engine, a small
    partitioned table: 0.24-0.28 s against 0.9-1.2 s a commit). A marker written before that commit
    (``<lake>/_written/<zone>.<table>/<key>``) sends every later write under the key, a retry's or a
    rerun's, to ``replaceWhere``. Only one writer may write under a key at a time (two at once, both finding
    no marker, would both append): the callers' keys are a DAG run or a batch, which Airflow and the
    source's ``max_active_runs=1`` give one writer.
    """
    store = store_for(settings.lake_root)
    marker = f"{WRITTEN_FOLDER}/{zone}.{table}/{key_part(key)}"
    if store.read_text(marker) is None:
        store.put_text(marker, f"{datetime.now(timezone.utc).isoformat()}\n")
        append(df, settings, zone, table)
    else:
        replace_where(df, settings, zone, table, predicate)


def merge_by_key(
    df: DataFrame,
    settings: Settings,
    zone: str,
    table: str,
    keys: tuple[str, ...],
    update_when: str | None = None,
) -> None:
    """Upsert ``df`` into ``zone.table`` by ``keys``; existing rows change only where ``update_when`` holds.

    The first batch creates the table as declared (properties, partitioning: ``_as_declared``)."""
    spark = df.sparkSession
    path = settings.table_path(zone, table)
    if not table_exists(spark, settings, zone, table):
        # The first batch creates the table; "error" (if it exists) keeps a concurrent creator from being overwritten.
        try:
            _as_declared(df.write.format("delta").mode("error"), df, settings, zone, table).save(path)
            return
        except PySparkException:
            if not table_exists(spark, settings, zone, table):
                raise
            # Another writer created it meanwhile: MERGE into it like any later batch.
    on = " AND ".join(f"target.{quoted(key)} = source.{quoted(key)}" for key in keys)
    matched = f"WHEN MATCHED AND ({update_when}) THEN UPDATE SET *" if update_when else "WHEN MATCHED THEN UPDATE SET *"
    # MERGE in SQL over a session-private view: Delta's Python MERGE builder needs a classic session.
    view = f"merge_source_{uuid.uuid4().hex}"
    df.createOrReplaceTempView(view)
    try:
        # A MERGE by key gives the same table when repeated, so a conflict with a concurrent writer is retried.
        retry_on_conflict(lambda: spark.sql(f"MERGE INTO delta.{quoted(path)} AS target USING {view} AS source ON {on} {matched} WHEN NOT MATCHED THEN INSERT *").collect())
    finally:
        spark.catalog.dropTempView(view)


def sql_literal(value: str) -> str:
    """Quote a string for a SQL predicate (file names and batch ids end up in replaceWhere)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
