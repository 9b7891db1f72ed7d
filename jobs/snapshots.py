"""What every snapshot job does: the list in force as of the run's day, from the landed files, checked,
published whole as a new version of its tables, or left as it is.

A snapshot (``snapshots:`` in a domain's declarations) is a reference list delivered whole, such as a
sanctions list. Its module gives only ``read``: the landed files' texts by file name -> each output
table's rows, raising on a file that does not fit (the message names file and line). This runner does the
rest the same way for every snapshot:

- the list of day D is the files delivered for D, whole (landing keeps a re-delivered identical file once,
  under the day it first came: the runner finds each delivered file's entry by its hash);
- a list identical to the one in force, or older than it (a backfill of an earlier day), changes nothing:
  a rerun or a backfill leaves the same table and the same versions;
- otherwise its rows go through the output's gate and replace the table as one new Delta version; a list
  that fails to read or fails its gate leaves the list in force, never an empty or partial one.

Every output table declares ``snapshot_id`` (the delivered files' hashes, hashed) and ``snapshot_date``
(the day the list was delivered for), which the runner fills in: with Delta's history they tell which
list was in force when.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import date
from pathlib import Path
from typing import Callable

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from jobs import alerts, audit, declarations, lake, pipeline, publish, report
from jobs.audit import RunContext
from jobs.landing import ManifestEntry, deliveries, sha256_of, store_for
from jobs.settings import Settings

log = logging.getLogger(__name__)

Read = Callable[[dict[str, str], dict[str, str]], dict[str, list[dict]]]
SNAPSHOT_ID, SNAPSHOT_DATE = "snapshot_id", "snapshot_date"


def delivered_on(settings: Settings, source: str, day: str) -> list[ManifestEntry]:
    """The manifest entries of the files delivered for ``day`` (each landed by ``land`` before this runs)."""
    store = store_for(settings.landing_root)
    found = []
    for path in deliveries(settings, source, day):
        text = store.read_text(f"_manifest/{source}/{sha256_of(path)}.json")
        if text is None:
            raise pipeline.DeliveryError(f"{path}: delivered for {day} but not landed (run the DAG's land task first)")
        found.append(ManifestEntry.from_json(text))
    return sorted(found, key=lambda entry: entry.file_name.lower())


def snapshot_id(entries: list[ManifestEntry]) -> str:
    return hashlib.sha256("\n".join(f"{entry.file_name.lower()} {entry.sha256}" for entry in entries).encode()).hexdigest()[:32]


def in_force(spark: SparkSession, settings: Settings, table: declarations.Table) -> tuple[str, date] | None:
    """``(snapshot_id, snapshot_date)`` of the list the table holds now (None before the first)."""
    if not lake.table_exists(spark, settings, table.zone, table.table):
        return None
    row = lake.read_table(spark, settings, table.zone, table.table).select(SNAPSHOT_ID, SNAPSHOT_DATE).limit(1).first()
    return None if row is None else (row[SNAPSHOT_ID], row[SNAPSHOT_DATE])


def run(spark: SparkSession, settings: Settings, run_context: RunContext, snapshot: declarations.Snapshot, read: Read, expectations_dir: Path) -> None:
    """Publish the list of the run's day when it is new (see the module docstring), with the run's report (also
    when its gate fails); a list that stays in force, or does not read, writes nothing."""
    alerts.file_alerts(spark, settings)
    day = run_context.logical_date
    entries = delivered_on(settings, snapshot.source, day)
    identity = snapshot_id(entries)
    targets = [declarations.registry().table(name) for name in snapshot.outputs]
    current = in_force(spark, settings, targets[0])
    if current and (current[0] == identity or current[1].isoformat() > day):
        log.info("%s: the list in force (%s of %s) stays: the list of %s is %s", snapshot.source, current[0], current[1], day,
                 "the same" if current[0] == identity else "older")
        return
    store = store_for(settings.landing_root)
    keys = {entry.file_name: f"{entry.source}/{entry.logical_date}/{entry.file_name}" for entry in entries}
    texts = {name: store.read_text(key) for name, key in keys.items()}
    # A list that does not read raises here, naming file and line: nothing is written, the list in force stays.
    tables = read(texts, {name: store.uri(key) for name, key in keys.items()})
    trail = None
    try:
        with audit.recording(spark, settings, run_context) as trail:
            for target in targets:
                delivered = [column for column in target.columns if column.name not in (SNAPSHOT_ID, SNAPSHOT_DATE)]
                as_tuples = [tuple(row[column.name] for column in delivered) for row in tables[target.name]]
                schema = ", ".join(f"`{column.name}` {column.type}" for column in delivered)
                rows = spark.createDataFrame(as_tuples, schema=schema).withColumns(
                    {SNAPSHOT_ID: F.lit(identity), SNAPSHOT_DATE: F.lit(date.fromisoformat(day))}
                ).select(*target.column_names)
                version = publish.write_audit_publish(
                    spark, settings, run_context, target, rows, f"{snapshot.source}-{identity}", expectations_dir,
                    lambda staged: lake.replace_where(staged, settings, target.zone, target.table, "true"),
                    [entry.file_name for entry in entries],
                    reconciliation={"rows_listed": len(tables[target.name])},
                )
                log.info("%s: the list of %s (%s) is in force as version %s", target.name, day, identity, version)
    finally:
        report.write_report_logging_errors(spark, settings, run_context.dag_id, run_context.run_id, trail)


def main(source: str, read: Read, argv: list[str] | None = None, spark: SparkSession | None = None) -> None:
    """``python -m jobs.run <snapshot job> --logical-date D --expectations-dir E [--run-id ...]``."""
    snapshot = declarations.registry().snapshots[source]
    called = pipeline.invocation(snapshot.job, argv, spark)
    run(called.spark, called.settings, called.run_context, snapshot, read, called.expectations_dir)
