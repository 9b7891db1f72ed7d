"""Quarantined rows out for fixing, and fixed rows back in as a new delivery.

A quarantined row keeps what arrived (``raw_record``: the delivered columns as JSON, or the raw line when
the row did not have the header's shape). ``export`` writes a day's quarantined rows as a CSV file with
the source's delivered header, ready to correct in any spreadsheet. ``replay`` puts the corrected file
into the inbox as one more delivery for that day; rerunning the day (``citylake backfill``) then takes it
through landing, bronze, the suites, row rules and silver like any other file. The original batch and
its quarantine rows stay as they were: the audit trail shows both the quarantine and the replay.

    citylake quarantine export nyc_311 2022-05-01 fixes.csv
    citylake quarantine replay nyc_311 2022-05-01 fixes.csv     # then: citylake backfill nyc311_daily ...
"""

from __future__ import annotations

import csv
import json
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from jobs.landing import DeliveryColumns, LandingError, inspect_delivery
from jobs.settings import Settings


@dataclass(frozen=True)
class QuarantinedSource:
    """Where a source's quarantined rows are, what a delivery of it must hold, and which DAG reruns it."""

    table: tuple[str, str]
    required_columns: DeliveryColumns
    dag_id: str


def sources() -> dict[str, QuarantinedSource]:
    """Every declared source's quarantine table, delivery columns and DAG."""
    import importlib

    from jobs.declarations import registry

    return {
        ingestion.source: QuarantinedSource(
            registry().table(ingestion.quarantine).address,
            importlib.import_module(ingestion.delivery_columns).REQUIRED_COLUMNS,
            ingestion.dag_id,
        )
        for ingestion in registry().ingestions.values()
    }


def _source(name: str) -> QuarantinedSource:
    known = sources()
    if name not in known:
        raise ValueError(f"unknown source {name!r}; known: {sorted(known)}")
    return known[name]


def export(spark, settings: Settings, source: str, logical_date: str, target: Path) -> tuple[int, list[str]]:
    """Write the day's quarantined rows of ``source`` to ``target`` (CSV, delivered header).

    Returns how many rows were written and the raw lines of malformed rows, which have no columns to
    write and are listed for the operator instead.
    """
    from pyspark.sql import functions as F

    from jobs import lake

    zone, table = _source(source).table
    rows = (
        lake.read_table(spark, settings, zone, table)
        .where(F.col("_logical_date") == F.lit(logical_date).cast("date"))
        .orderBy("_source_file", "raw_record")
        .select("rule_id", "raw_record")
        .collect()
    )
    records, malformed = [], []
    for row in rows:
        if row.rule_id == "malformed_row":
            malformed.append(row.raw_record)
        else:
            records.append(json.loads(row.raw_record))
    # Every delivered column, in delivery order (files of one day may differ by added columns).
    header = list(dict.fromkeys(name for record in records for name in record))
    with open(target, "w", newline="", encoding="utf-8") as output:
        writer = csv.DictWriter(output, fieldnames=header)
        writer.writeheader()
        writer.writerows({name: "" if value is None else value for name, value in record.items()} for record in records)
    return len(records), malformed


def replay(settings: Settings, source: str, logical_date: str, fixed_file: Path) -> Path:
    """Deliver ``fixed_file`` into the inbox for ``logical_date``; returns where it was put.

    The header is checked now, so a file of the wrong shape is refused before anything runs.
    """
    quarantined = _source(source)
    _, _, rows, _ = inspect_delivery(fixed_file, quarantined.required_columns)
    if rows == 0:
        raise LandingError(f"{fixed_file}: no rows to replay")
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = Path(settings.inbox_root) / source / logical_date / f"replay-{stamp}-{fixed_file.name}"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(fixed_file, target)
    return target
