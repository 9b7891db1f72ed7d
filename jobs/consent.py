"""Consent honoured: from a table's next run on, the rows of subjects who withdrew consent to a purpose it serves are dropped.

Consent events are a source like any other: the table a domain declares as ``consent:`` (one row per
subject, purpose and day, the subject as the keyed pseudonym the lake's tables carry). A subject's consent to
a purpose on a day is their latest event effective by then; with no event, the lake's basis for that purpose is
not consent (a contract, a legal obligation) and nothing is dropped. A table serving several purposes drops a
subject who withdrew any of them: a row cannot be kept for one purpose and hidden from another.

Applied by the platform to every silver and gold table that declares where it holds a subject (``subjects:``):
- a source's run (jobs/pipeline.py), after publishing the day's batches, deletes those subjects' rows from its
  silver table (earlier days' rows too), and its gold is recomputed for the periods the deleted rows touched;
- a product's run (jobs/products.py) leaves their rows out of what it publishes.
Restricted zones (bronze, quarantine) keep rows as delivered: withdrawing consent stops the use; erasure
(jobs/erasure.py) removes the data. Each application that drops rows is a row of ``audit.consent_applied``.
"""

from __future__ import annotations

import logging
from datetime import date

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from jobs import audit, lake, subject_rows
from jobs.audit import RunContext
from jobs.declarations import Table, registry
from jobs.settings import Settings

# What a consent deletion's Delta commit says of itself (DESCRIBE HISTORY's userMetadata); its figures are in audit.consent_applied.
CONSENT_COMMIT_NOTE = "citylake consent: rows of subjects who withdrew a purpose this table serves"

log = logging.getLogger("citylake.consent")


def withdrawn(spark: SparkSession, settings: Settings, table: Table, as_of: date) -> list[tuple[str, str]]:
    """``(subject_kind, pseudonym)`` of every subject whose consent to a purpose ``table`` serves is withdrawn on ``as_of``."""
    events_table = registry().consent_table
    if not events_table or table.name == events_table or table.restricted or not table.subjects or not table.purposes:
        return []
    events = registry().table(events_table)
    if not lake.table_exists(spark, settings, *events.address):
        return []
    latest = Window.partitionBy("subject_kind", "subject_id", "purpose").orderBy(F.col("effective_from").desc(), F.col("recorded_date").desc())
    state = (
        lake.read_table(spark, settings, *events.address)
        .where((F.col("effective_from") <= F.lit(as_of)) & F.col("purpose").isin(*table.purposes) & F.col("subject_kind").isin(*dict(table.subjects)))
        .withColumn("_rank", F.row_number().over(latest))
        .where((F.col("_rank") == 1) & (F.col("status") == "withdrawn"))
    )
    return sorted({(row["subject_kind"], row["subject_id"]) for row in state.select("subject_kind", "subject_id").collect()})


def _views(spark: SparkSession, subjects: list[tuple[str, str]]) -> dict[str, str]:
    """One subjects view (jobs/subject_rows.py) per kind, keyed by pseudonym."""
    kinds = sorted({kind for kind, _ in subjects})
    return {kind: subject_rows.subjects_view(spark, [(pseudonym, None, None, pseudonym) for each, pseudonym in subjects if each == kind]) for kind in kinds}


def drop_from_table(spark: SparkSession, settings: Settings, run: RunContext, table: Table) -> DataFrame | None:
    """Delete the rows of subjects withdrawn on the run's day from ``table``; the deleted rows (read as they were), or None."""
    subjects = withdrawn(spark, settings, table, date.fromisoformat(run.logical_date))
    if not subjects or not lake.table_exists(spark, settings, *table.address):
        return None
    path = settings.table_path(*table.address)
    before = lake.latest_version(spark, settings, *table.address)
    schema = lake.read_table(spark, settings, *table.address).schema
    views = _views(spark, subjects)
    try:
        counts = {kind: subject_rows.count_by_subject(spark, path, view, subject_rows.match_condition(table, kind, schema)) for kind, view in views.items()}
        if not any(counts.values()):
            return None
        # The rows as they were, for the gold periods they touched: joined against the pseudonyms themselves (a
        # local relation in the plan), as the views are gone once this returns.
        removed = [
            spark.read.format("delta").option("versionAsOf", before).load(path).alias("t")
            .join(spark.createDataFrame([(pseudonym,) for pseudonym in counts[kind]], "pseudonym string").alias("s"), F.expr(subject_rows.match_condition(table, kind, schema)), "left_semi")
            for kind in views if counts[kind]
        ]
        for kind in views:
            if counts[kind]:
                subject_rows.delete_matching(spark, table, path, views[kind], subject_rows.match_condition(table, kind, schema), note=CONSENT_COMMIT_NOTE)
    finally:
        for view in views.values():
            spark.catalog.dropTempView(view)
    rows = sum(sum(by_subject.values()) for by_subject in counts.values())
    dropped = sum(len(by_subject) for by_subject in counts.values())
    audit.record_consent_applied(spark, settings, run, table.name, list(table.purposes), dropped, rows, before, lake.latest_version(spark, settings, *table.address))
    log.info("%s: %d rows of %d subjects who withdrew consent to %s deleted", table.name, rows, dropped, ", ".join(table.purposes))
    frame = removed[0]
    for more in removed[1:]:
        frame = frame.unionByName(more)
    return frame


def without_withdrawn(spark: SparkSession, settings: Settings, run: RunContext, table: Table, rows: DataFrame) -> DataFrame:
    """``rows`` (a product's output, about to be published to ``table``) without those of subjects withdrawn on the run's day."""
    subjects = withdrawn(spark, settings, table, date.fromisoformat(run.logical_date))
    if not subjects:
        return rows
    kept = rows
    for kind in sorted({kind for kind, _ in subjects}):
        held = spark.createDataFrame([(pseudonym,) for each, pseudonym in subjects if each == kind], "pseudonym string")
        kept = kept.alias("t").join(held.alias("s"), F.expr(subject_rows.match_condition(table, kind, kept.schema)), "left_anti")
    before, after = rows.count(), kept.count()
    if before != after:
        audit.record_consent_applied(spark, settings, run, table.name, list(table.purposes), len(subjects), before - after, None, None)
        log.info("%s: %d rows of subjects who withdrew consent to %s left out", table.name, before - after, ", ".join(table.purposes))
    return kept

