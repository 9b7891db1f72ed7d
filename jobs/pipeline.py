"""The path every source's files take in one Spark application: landed file -> bronze -> validated -> silver -> gold.

A source (jobs/<source>/job.py) says what is its own: its tables, suites, row rules and gold; this
module does what is the same for all of them, so each source gets the same guarantees:

- bronze keeps every delivered column as a string, with lineage (file, batch, logical date), and
  skips a file it already holds;
- the delivered header is checked against the source's known layout: drift is a warning result;
- the typed batch passes the source's batch suite before row rules split it;
- bad rows go to the source's quarantine table with rule and reason; the rest is staged, validated
  and published to silver (write, audit, publish), then gold is rebuilt for what the batches touched;
- every file's rows reconcile: delivered = bronze = published + quarantined (``audit.reconciliation``).

Every step replaces exactly what it produces, so rerunning a day or backfilling a range gives the
same tables.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import logging
import os
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType
from pyspark.storagelevel import StorageLevel

from jobs import alerts, audit, consent, declarations, lake, pseudonyms, publish, quality, report, spark_config
from jobs.audit import Reconciliation, RunContext, record_quality, record_reconciliation
from jobs.landing import DeliveryColumns, ManifestEntry, delivery_format, manifest_entries, omits_nulls
from jobs.phases import phase
from jobs.settings import Settings, load_settings
from jobs.spark_config import build_session

# Bronze keeps the delivered names, spaces and ":@" included: Delta column mapping allows them (append-only
# comes from the declaration, with the rest of what the table is created with: lake.create_table).
BRONZE_PROPERTIES = {"delta.columnMapping.mode": "name"}
CORRUPT_RECORD = "_corrupt_record"
# A delivery is read as one partition (a CSV record may span lines), and delivered columns compress so well
# that one bronze file could hold tens of millions of rows, which every later read of the batch gets as one
# partition: a 10M-row delivery of short repetitive rows was one cached partition of over 1.1 GB that the 3g
# engine could not hold.
# Bronze files of at most this many rows bound each partition, without a shuffle; but a read packs small
# files into one task up to 128 MB of them, which such rows fill only at millions (a 10M-row delivery
# of short repetitive rows was read as three tasks of 3-5M rows). So a large batch is also spread over tasks of at
# most this many rows before it is typed and cached (``spread``; its cache: ``MEMORY_CACHED_ROWS``).
BRONZE_ROWS_PER_FILE = 250_000
DRIFT_SUITE = "delivery_columns.json"
SHUFFLE_PARTITIONS = "spark.sql.shuffle.partitions"
# A run's batches (typed, silver, quarantined, gold: all held until the run ends) are cached in the engine's
# memory up to this many rows delivered to the run, and on its local disk above: a 10M-row delivery of
# short repetitive rows cached in memory held 1.5 GB of the 3g engine's heap as byte arrays beside the sorts' pages, and
# the engine died of OutOfMemoryError caching the next batch (bounding the rows of every task and shuffle
# alone did not help).
# On disk, its 1M-row counterpart took 72.5 s against 59-64 s in memory: 1M-row deliveries stay in memory.
MEMORY_CACHED_ROWS = 2_000_000
# A run delivered at least this many rows compiles its expressions (``session_sized_for``): the engine on one
# machine interprets them (``spark_config.INTERPRETED``), which small batches gain from and large ones lose by
# (311 days on one warm engine, in turn: 2,000 rows 16.4 against 21.6 s; 20,000 rows the same; 100,000 rows
# 72.6 against 66.8 s; 1M rows 507 against 210 s).
COMPILED_ROWS = 20_000

log = logging.getLogger("citylake.pipeline")


class DeliveryError(RuntimeError):
    """A landed file cannot be processed; the message names the file and what is wrong."""


def touched_periods(first: date, last: date) -> tuple[date, date]:
    """The default refresh: exactly the periods the batches touched."""
    return first, last


@dataclass(frozen=True)
class Gold:
    """A source's gold table: rows per period, recomputed from the whole silver table for what a run touched.

    A run refreshes the periods its batches touched, widened by ``refresh`` to the later periods whose
    figures depend on them (a trailing mean, a change on a year earlier), and replaces exactly that
    range: a rerun or a backfill recomputes the same rows.
    """

    period_column: str  # gold's period, the range a run replaces
    silver_period_column: str  # silver's column for the same period
    # whole silver table, first period, last period -> gold rows for those periods
    transform: Callable[[DataFrame, date, date], DataFrame]
    # audit.reconciliation's name for the silver rows behind the refreshed periods
    reconciled_as: str
    # which silver rows gold counts (SQL), e.g. only those with a place
    reconciled_where: str = "true"
    # (first, last touched) -> (first, last to refresh)
    refresh: Callable[[date, date], tuple[date, date]] = touched_periods
    # every later period already in gold depends on earlier ones: refresh through the latest one too
    refresh_later_periods: bool = False
    # silver batch -> the first and last period it touched (None when empty); default: its silver periods
    periods_touched: Callable[[DataFrame], tuple[date, date] | None] | None = None
    # the declared gold table (filled from the source's declaration by ``declared_source``)
    target: declarations.Table | None = None
    # The refreshed rows are computed once into the engine's cache for the gate and the publication. A plan
    # that would miss its own cache entry (order-sensitive aggregates over windows, such as collect_list) says
    # False and is written to staging in the lake and read back instead (see publish.write_audit_publish).
    cached: bool = True

    def touched(self, silver_batch: DataFrame) -> tuple[date, date] | None:
        if self.periods_touched:
            return self.periods_touched(silver_batch)
        bounds = silver_batch.select(F.min(self.silver_period_column).alias("first"), F.max(self.silver_period_column).alias("last")).first()
        return None if bounds["first"] is None else (bounds["first"], bounds["last"])


@dataclass(frozen=True)
class Source:
    """What is particular to one source; see the module docstring for what every source shares.

    Its tables (names, keys, partitioning, suites, columns and their classification) are its
    declaration's (``jobs/<source>/declarations.yaml``); this holds the code that fills them.
    """

    declared: declarations.Ingestion
    columns: DeliveryColumns
    # bronze batch, the file's delivered columns -> typed rows with "_raw_record" and bronze's metadata
    typed: Callable[[DataFrame, tuple[str, ...]], DataFrame]
    # typed -> (rows to publish, quarantined rows with rule_id, reason, raw_record and metadata)
    split: Callable[[DataFrame], tuple[DataFrame, DataFrame]]
    to_silver: Callable[[DataFrame], DataFrame]
    # MERGE condition under which a delivered row replaces the stored one (None: always)
    silver_update_when: str | None
    gold: Gold | None  # None: a source whose silver is an input of products only (no gold of its own)

    @property
    def name(self) -> str:
        """The landing and manifest name, for example nyc_311."""
        return self.declared.source

    @property
    def bronze(self) -> tuple[str, str]:
        return declarations.registry().table(self.declared.bronze).address

    @property
    def quarantine_table(self) -> declarations.Table:
        return declarations.registry().table(self.declared.quarantine)

    @property
    def quarantine(self) -> tuple[str, str]:
        return self.quarantine_table.address

    @property
    def silver(self) -> declarations.Table:
        return declarations.registry().table(self.declared.silver)


def declared_source(source: str, **code) -> Source:
    """A source from its declaration and the code that fills its tables (see ``Source``)."""
    declared = declarations.registry().ingestion(source)
    if declared.gold:
        (gold_table,) = declared.gold  # a source refreshes one gold table by period; products take several inputs
        code["gold"] = dataclasses.replace(code["gold"], target=declarations.registry().table(gold_table))
    elif code.get("gold") is not None:
        raise declarations.DeclarationError(f"ingestion {source}: the job gives a gold transform but the declaration names no gold table")
    return Source(declared=declared, columns=importlib.import_module(declared.delivery_columns).REQUIRED_COLUMNS, **code)


# The temporary view each batch cached by persisted() is read through, by the id of the DataFrame returned.
_views: dict[int, str] = {}


def persisted(frame: DataFrame, storage: StorageLevel) -> DataFrame:
    """``frame`` cached on the engine, read back through a temporary view of the run's session.

    Why the view: over Spark Connect every query sends its DataFrame's whole plan, and the engine analyses
    it again before it finds the cached copy. A typed batch's plan is large (0.5 MB as text for a city
    source's file, 1.1 MB its silver batch: every column's CASE chain), so each of a gate's dozen queries
    paid for it; a view names the plan the engine analysed once. Side by side on one warm engine, 9 queries
    on that persisted batch: 1.21 s sent whole, 0.59 s through the view. Released by :func:`release`
    (the view too).
    """
    frame = frame.persist(storage)
    view = f"citylake_batch_{uuid.uuid4().hex}"
    frame.createOrReplaceTempView(view)
    through_view = frame.sparkSession.table(view)
    _views[id(through_view)] = view
    return through_view


def release(frame: DataFrame) -> None:
    """Unpersist a batch (and drop the view :func:`persisted` made); a failure is logged, not raised, so
    that it never hides the run's own error (the engine may be gone: then so is its cache)."""
    view = _views.pop(id(frame), None)
    try:
        frame.unpersist()
        if view:
            frame.sparkSession.catalog.dropTempView(view)
    except Exception:  # noqa: BLE001 - any failure to release is secondary to the run's outcome
        log.warning("could not release a cached batch", exc_info=True)


def batch_id_of(entry: ManifestEntry) -> str:
    """A batch is one delivered file's content: the same bytes always get the same id."""
    return f"{entry.source}-{entry.sha256[:16]}"


def read_delivery(spark: SparkSession, entry: ManifestEntry) -> DataFrame:
    """The landed file, every delivered column as a string, plus ``_corrupt_record`` for malformed CSV rows."""
    path, kind = entry.landed_path, delivery_format(entry.landed_path)
    if kind == "csv":
        # RFC 4180: a quote inside a quoted field is doubled (Socrata writes nested JSON that way).
        header = spark.read.option("header", True).option("inferSchema", False).option("escape", '"').csv(path).columns
        schema = StructType([StructField(name, StringType()) for name in header] + [StructField(CORRUPT_RECORD, StringType())])
        return (
            spark.read.schema(schema)
            .option("header", True)
            .option("escape", '"')
            .option("multiLine", True)  # free-text fields may hold quoted line breaks
            .option("mode", "PERMISSIVE")  # a malformed row is kept whole in _corrupt_record and quarantined
            .option("columnNameOfCorruptRecord", CORRUPT_RECORD)
            .csv(path)
        )
    if kind == "jsonl":
        return _json_lines(spark, entry)
    try:
        if kind == "json":
            # Socrata's JSON is one array of objects; nested values (a "location" object) are kept as JSON text.
            delivered = spark.read.option("multiLine", True).option("primitivesAsString", True).json(path)
        else:
            delivered = spark.read.parquet(path)
        delivered.schema  # noqa: B018 - reads the footer or samples the file now, so a broken file is named
    except Exception as error:  # Spark raises AnalysisException or a wrapped Java error, by format
        raise DeliveryError(f"{path}: cannot be read as {kind}: {str(error).splitlines()[0]}") from error
    as_strings = [
        (F.to_json(F.col(f"`{field.name}`")) if field.dataType.typeName() in ("struct", "array", "map") else F.col(f"`{field.name}`").cast("string")).alias(field.name)
        for field in delivered.schema.fields
    ]
    return delivered.select(*as_strings, F.lit(None).cast("string").alias(CORRUPT_RECORD))


def _json_lines(spark: SparkSession, entry: ManifestEntry) -> DataFrame:
    """A JSON Lines file as bronze holds every delivery: one row a line, each top-level field a string.

    Read as text, so that every line is a row (Spark's JSON reader drops empty lines and splits a line
    holding an array into several records): a line that is not a JSON object keeps its text whole in
    ``_corrupt_record``. The fields are the ones landing found (``entry.columns``); a nested object or
    array is kept as its JSON text, so a field the publisher adds inside one is never lost.
    """
    # Parsed inside brackets: a line of two objects ("{...}{...}", a writer that lost a newline) is then
    # invalid as a whole, where parsing it alone would keep the first object and drop the second silently.
    wrapped = F.from_json(F.concat(F.lit("["), F.col("value"), F.lit("]")), "array<map<string,string>>")
    # One select per step: Spark keeps a step apart when the next one reads its column more than once, so
    # each line is parsed once. Written as one expression per field, the parse ran again under each field's
    # condition (2.5 times the time of the read). A byte-order mark before the first line: Hadoop's line
    # reader drops it (tests/test_social.py's file of two objects on a line starts with one).
    return (
        spark.read.text(entry.landed_path)
        .select("value", wrapped.alias("_wrapped"))
        .select("value", F.when(F.size("_wrapped") == 1, F.get(F.col("_wrapped"), 0)).alias("_fields"))
        .select(
            *[F.col("_fields")[name].alias(name) for name in entry.columns],
            F.when(F.col("_fields").isNull(), F.col("value")).alias(CORRUPT_RECORD),
        )
    )


def ingest_bronze(spark: SparkSession, settings: Settings, source: Source, entry: ManifestEntry) -> None:
    """Append a landed file to bronze, every column a string as delivered; a no-op if already there."""
    batch_id = batch_id_of(entry)
    if lake.table_exists(spark, settings, *source.bronze) and bronze_batch(spark, settings, source, entry).limit(1).count():
        log.info("bronze already holds %s (%s): skipped", entry.file_name, batch_id)
        return
    batch = with_lineage(read_delivery(spark, entry), source, entry)
    lake.create_table(spark, settings, *source.bronze, batch.schema, BRONZE_PROPERTIES)
    # mergeSchema: a delivery may add columns; bronze keeps them (earlier rows read them as NULL).
    batch.write.format("delta").mode("append").option("mergeSchema", "true").option("maxRecordsPerFile", BRONZE_ROWS_PER_FILE).save(
        settings.table_path(*source.bronze)
    )


def with_lineage(delivered: DataFrame, source: Source, entry: ManifestEntry) -> DataFrame:
    """A delivery's rows as bronze holds them: its columns (the required ones checked), then file, batch, times."""
    header = [name for name in delivered.columns if name != CORRUPT_RECORD]
    missing = source.columns.missing(header, omits_nulls=omits_nulls(entry.landed_path))
    if missing:
        raise DeliveryError(f"{entry.landed_path}: header lacks required column(s) {missing}")
    return delivered.select(
        *[F.col(f"`{column}`") for column in header],
        F.col(CORRUPT_RECORD),
        F.lit(entry.file_name).alias("_source_file"),
        F.lit(batch_id_of(entry)).alias("_batch_id"),
        F.lit(datetime.now(timezone.utc).replace(tzinfo=None)).cast("timestamp").alias("_ingested_at"),
        F.lit(entry.logical_date).cast("date").alias("_logical_date"),
    )


def bronze_batch(spark: SparkSession, settings: Settings, source: Source, entry: ManifestEntry) -> DataFrame:
    # The partition filter prunes the read to the delivery's day.
    return lake.read_table(spark, settings, *source.bronze).where(
        (F.col("_logical_date") == F.lit(entry.logical_date).cast("date")) & (F.col("_batch_id") == batch_id_of(entry))
    )


def tasks_for(rows: int) -> int:
    """How many tasks of at most ``BRONZE_ROWS_PER_FILE`` rows ``rows`` need."""
    return -(-rows // BRONZE_ROWS_PER_FILE)


def spread(batch: DataFrame, rows: int) -> DataFrame:
    """``batch`` (of ``rows`` rows) in partitions of at most ``BRONZE_ROWS_PER_FILE`` rows each, hashed on
    every column (so a retried task gets the same rows, without the sort a round-robin needs for that);
    a batch that fits one partition is left as it is read, with no shuffle."""
    tasks = tasks_for(rows)
    if tasks <= 1:
        return batch
    return batch.repartition(tasks, *[F.col(lake.quoted(name)) for name in batch.columns])


def cache_level(rows: int) -> StorageLevel:
    """Where to cache a run's batches, given the rows delivered to the run (``MEMORY_CACHED_ROWS``)."""
    return StorageLevel.DISK_ONLY if rows > MEMORY_CACHED_ROWS else StorageLevel.MEMORY_AND_DISK_DESER


@contextmanager
def session_sized_for(spark: SparkSession, rows: int):
    """The session sized for a run of ``rows`` delivered rows while the block runs (a run's own Connect session).

    Shuffles: partitions of at most ``BRONZE_ROWS_PER_FILE`` rows each. On one machine the lake shuffles into
    few partitions (``spark_config``: small batches, few cores), so a 10M-row delivery's duplicate ranking,
    MERGE and joins would sort millions of rows a task; adaptive execution still coalesces the shuffles that
    turn out small. Code generation: from ``COMPILED_ROWS`` delivered rows, Spark compiles the run's
    expressions again (``spark_config.COMPILED``), where the engine's default on one machine interprets them.
    """
    wanted: dict[str, str] = {}
    tasks = tasks_for(rows)
    if tasks > 1:
        wanted[SHUFFLE_PARTITIONS] = str(tasks)
    if rows >= COMPILED_ROWS:
        wanted.update(spark_config.COMPILED)
    current = {name: spark.conf.get(name) for name in wanted}  # small batches: no round trip
    if SHUFFLE_PARTITIONS in wanted and tasks <= int(current[SHUFFLE_PARTITIONS]):
        del wanted[SHUFFLE_PARTITIONS]  # the session's partitions are enough already
    changed = {name: value for name, value in wanted.items() if value != current[name]}
    for name, value in changed.items():
        spark.conf.set(name, value)
    try:
        yield
    finally:
        for name in changed:
            spark.conf.set(name, current[name])


def delivered_columns(spark: SparkSession, entry: ManifestEntry) -> tuple[str, ...]:
    """The file's own columns: from the manifest, or (for entries landed before it kept them) the file."""
    if entry.columns:
        return entry.columns
    return tuple(name for name in read_delivery(spark, entry).columns if name != CORRUPT_RECORD)


def check_drift(spark: SparkSession, source: Source, entry: ManifestEntry, columns: tuple[str, ...], expectations_dir: Path) -> list[quality.ExpectationResult]:
    """The delivered header against the source's known layout (warning results; no data is read)."""
    checked, known = source.columns.drift_checked(columns, omits_nulls=omits_nulls(entry.landed_path))
    header_only = spark.createDataFrame([], StructType([StructField(name, StringType()) for name in checked]))
    return quality.validate(header_only, expectations_dir / DRIFT_SUITE, {"known_columns": known}, label=f"{entry.file_name} columns")


def process_file(
    spark: SparkSession, settings: Settings, run: RunContext, source: Source, entry: ManifestEntry, expectations_dir: Path,
    key: pseudonyms.PseudonymKeys | None = None, storage: StorageLevel = StorageLevel.MEMORY_AND_DISK_DESER,
) -> DataFrame:
    """Bronze -> validate -> silver (through the gate) + quarantine for one file; returns the silver batch.

    ``key``: the pseudonymisation key, needed when silver declares a column ``pseudonymise``; ``storage``: where
    the file's batches are cached (``cache_level`` of the run's rows).
    """
    with phase("bronze"):
        ingest_bronze(spark, settings, source, entry)
    batch_id = batch_id_of(entry)
    columns = delivered_columns(spark, entry)
    typed = persisted(source.typed(spread(bronze_batch(spark, settings, source, entry), entry.rows), columns), storage)
    try:
        # The delivery as a whole, before row rules: a broken export stops here, before any quarantine.
        with phase("batch gate"):
            batch_results = check_drift(spark, source, entry, columns, expectations_dir)
            batch_results += quality.validate(typed, expectations_dir / source.declared.batch_suite, label=f"{entry.file_name} {batch_id}")
        failures = quality.critical_failures(batch_results)
        if failures:
            record_quality(spark, settings, run, source.silver.name, batch_id, None, batch_results)
            raise quality.CriticalExpectationFailed(quality.describe_failure(f"{source.silver.name} <- {entry.file_name}", batch_id, failures))

        published, quarantined = source.split(typed)
        # Quarantine keeps rows as delivered, personal data included: only what its declaration classifies.
        source.quarantine_table.check_schema(quarantined.schema)
        # On the way into silver: identifiers the declaration says to pseudonymise never go further in clear.
        silver_batch = persisted(pseudonyms.pseudonymise(source.to_silver(published), source.silver, key), storage)
        quarantined = persisted(quarantined, storage)
        try:
            with phase("split"):
                bronze_rows = typed.count()
                quarantined_by_rule = {row["rule_id"]: row["count"] for row in quarantined.groupBy("rule_id").count().collect()}
                quarantined_rows = sum(quarantined_by_rule.values())
            publish.write_audit_publish(
                spark, settings, run, source.silver, silver_batch, batch_id, expectations_dir,
                lambda staged: lake.merge_by_key(staged, settings, source.silver.zone, source.silver.table, source.silver.key, source.silver_update_when),
                [entry.file_name],
                earlier_results=batch_results,
                reconciliation={"rows_to_publish": bronze_rows - quarantined_rows},
            )
            # After the gate: a batch it blocks leaves no quarantine rows behind either.
            with phase("quarantine"):
                lake.replace_rows(quarantined, settings, *source.quarantine, f"_batch_id = {lake.sql_literal(batch_id)}", key=batch_id)
            audit.record_quarantined(run, source.quarantine_table.name, batch_id, quarantined_by_rule)
            check = Reconciliation(
                source=source.name,
                batch_id=batch_id,
                source_file=entry.file_name,
                manifest_rows=entry.rows,
                bronze_rows=bronze_rows,
                published_rows=silver_batch.count(),
                quarantined_rows=quarantined_rows,
            )
            record_reconciliation(spark, settings, run, check)
        except BaseException:
            release(silver_batch)  # the caller releases it only when it is returned
            raise
        finally:
            release(quarantined)
        log.info("%s: %s", entry.file_name, check)
        return silver_batch
    finally:
        release(typed)


def run(spark: SparkSession, settings: Settings, run_context: RunContext, source: Source, expectations_dir: Path) -> None:
    """All Spark steps for one logical date, then the run's quality report (also when a gate failed)."""
    with phase("file alerts"):
        alerts.file_alerts(spark, settings)
    entries = manifest_entries(settings, source.name, run_context.logical_date)
    if not entries:
        raise DeliveryError(f"{settings.landing_root}/_manifest/{source.name}: nothing landed for {run_context.logical_date}")
    expired = [entry.file_name for entry in entries if entry.expired_at]
    if expired:
        raise DeliveryError(f"{source.name} {run_context.logical_date}: the landed files {expired} are past their retention and were deleted (jobs/retention.py); the day cannot be rerun")
    # Before any work: a missing, short or silently changed key stops the run here.
    key = pseudonyms.checked_key(spark, settings, run_context.run_id) if source.silver.pseudonymised else None
    silver_batches: list[DataFrame] = []
    trail = None
    delivered = sum(entry.rows for entry in entries)
    storage = cache_level(delivered)
    try:
        with session_sized_for(spark, delivered), audit.recording(spark, settings, run_context) as trail:
            for entry in entries:
                silver_batches.append(process_file(spark, settings, run_context, source, entry, expectations_dir, key, storage))
            # Withdrawn consent: those subjects' silver rows go (earlier days' too), and gold follows for their periods.
            with phase("consent"):
                withdrawn_rows = consent.drop_from_table(spark, settings, run_context, source.silver)
            touched = silver_batches + ([withdrawn_rows] if withdrawn_rows is not None else [])
            publish_gold(spark, settings, run_context, source, touched, [entry.file_name for entry in entries], expectations_dir, storage)
    finally:
        # A shared engine: a run that failed half-way leaves none of its cached batches behind.
        for batch in silver_batches:
            release(batch)
        with phase("report"):
            report.write_report_logging_errors(spark, settings, run_context.dag_id, run_context.run_id, trail)


def period_span(silver_batches: list[DataFrame], periods_touched: Callable[[DataFrame], tuple[date, date] | None]) -> tuple[date, date] | None:
    """The first and last period any of the batches touched (None when they are all empty)."""
    spans = [span for batch in silver_batches if (span := periods_touched(batch))]
    return (min(span[0] for span in spans), max(span[1] for span in spans)) if spans else None


def publish_gold(
    spark: SparkSession, settings: Settings, run: RunContext, source: Source, silver_batches: list[DataFrame],
    source_files: list[str], expectations_dir: Path, storage: StorageLevel = StorageLevel.MEMORY_AND_DISK_DESER,
) -> None:
    """Recompute the source's gold for the periods the batches touched (see ``Gold``), through its gate.

    ``storage``: where gold's rows are cached (``cache_level`` of the run's rows)."""
    gold = source.gold
    if gold is None:
        return
    span = period_span(silver_batches, gold.touched)
    if span is None:
        return
    first, last = gold.refresh(*span)
    target = gold.target
    if gold.refresh_later_periods and lake.table_exists(spark, settings, target.zone, target.table):
        latest_in_gold = lake.read_table(spark, settings, target.zone, target.table).agg(F.max(gold.period_column)).first()[0]
        if latest_in_gold and latest_in_gold > last:
            last = latest_in_gold
    silver = lake.read_table(spark, settings, source.silver.zone, source.silver.table)
    rows = gold.transform(silver, first, last)
    if gold.cached:
        rows = persisted(rows, storage)
    try:
        behind = silver.where(F.col(gold.silver_period_column).between(first, last) & F.expr(gold.reconciled_where)).count()
        periods = f"{gold.period_column} BETWEEN '{first}' AND '{last}'"
        publish.write_audit_publish(
            spark, settings, run, target, rows, f"{source.name}-{gold.period_column}s-{first}-{last}", expectations_dir,
            lambda staged: lake.replace_where(staged, settings, target.zone, target.table, periods),
            source_files,
            reconciliation={gold.reconciled_as: behind},
        )
    finally:
        if gold.cached:
            release(rows)
    log.info("gold %s: %ss %s..%s replaced", target.name, gold.period_column, first, last)


def parse_args(prog: str, argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=prog, description=f"Spark job: one logical date of {prog}, landed files to gold.")
    parser.add_argument("--logical-date", required=True, type=date.fromisoformat, help="the day whose landed files to process (YYYY-MM-DD)")
    parser.add_argument("--run-id", default="manual", help="Airflow run id, recorded in the audit tables")
    parser.add_argument("--dag-id", default="manual")
    parser.add_argument("--task-id", default="process")
    parser.add_argument("--lake-root", help="overrides CITYLAKE_LAKE_ROOT")
    parser.add_argument("--landing-root", help="overrides CITYLAKE_LANDING_ROOT")
    parser.add_argument("--expectations-dir", type=Path, required=True, help="folder of the Great Expectations suites")
    return parser.parse_args(argv)


@dataclass(frozen=True)
class Invocation:
    """What a job's command line (or an Airflow task's arguments) resolves to."""

    settings: Settings
    run_context: RunContext
    spark: SparkSession
    expectations_dir: Path


def invocation(job: str, argv: list[str] | None = None, spark: SparkSession | None = None) -> Invocation:
    """Settings (with the command line's overrides), the run's context and the session, for any job.

    ``spark``: the session an Airflow task was given; a command line builds its own.
    """
    args = parse_args(job, argv)
    overrides = {key: value for key, value in (("CITYLAKE_LAKE_ROOT", args.lake_root), ("CITYLAKE_LANDING_ROOT", args.landing_root)) if value}
    settings = load_settings({**os.environ, **overrides})
    run_context = RunContext(args.run_id, args.dag_id, args.task_id, args.logical_date.isoformat())
    spark = spark or build_session(settings, f"citylake-{job}-{args.logical_date}")
    return Invocation(settings, run_context, spark, args.expectations_dir)


def main(source: Source, argv: list[str] | None = None, spark: SparkSession | None = None) -> None:
    """``python -m jobs.run <job> --logical-date D --expectations-dir E [--run-id ...]`` (the job's name is its
    ingestion's declared ``job``)."""
    called = invocation(source.declared.job, argv, spark)
    run(called.spark, called.settings, called.run_context, source, called.expectations_dir)
