"""A data subject's rows in a table: how to find them, count them and delete them without naming them.

Shared by erasure (jobs/erasure.py) and consent (jobs/consent.py). Subjects are given as a session-private view
with the columns ``subject_key`` (what results are grouped by: a request id, a pseudonym), ``identifier`` (the
clear identifier, or NULL), ``pattern`` (the identifier as a whole token, or NULL) and ``pseudonym``; conditions
join against it, so no identifier is ever a literal of a plan, a predicate or a Delta log entry. Where a table
holds a subject is its declaration's (``Table.subjects``): in a restricted table the identifier anywhere in the
row as delivered, elsewhere the pseudonym in the declared columns.
"""

from __future__ import annotations

import uuid

from pyspark.sql import SparkSession

from jobs import lake
from jobs.declarations import ANYWHERE, Table

VIEW_DDL = "subject_key string, identifier string, pattern string, pseudonym string"


def subjects_view(spark: SparkSession, rows: list[tuple]) -> str:
    """A session-private view of subjects (rows in ``VIEW_DDL``'s order); drop it with ``spark.catalog.dropTempView``."""
    view = f"subjects_{uuid.uuid4().hex}"
    spark.createDataFrame(rows, VIEW_DDL).createOrReplaceTempView(view)
    return view


def match_condition(table: Table, kind: str, schema) -> str:
    """SQL over ``t`` (the table) and ``s`` (the subjects view): the row holds the subject."""
    columns = table.subject_columns(kind)
    if ANYWHERE in columns:
        row = "to_json(struct(" + ", ".join(f"t.{lake.quoted(name)}" for name in schema.fieldNames()) + "))"
        return f"{row} RLIKE s.pattern"
    types = {field.name: field.dataType.typeName() for field in schema.fields}
    value = "s.identifier" if table.restricted else "s.pseudonym"
    return " OR ".join(
        f"array_contains(t.{lake.quoted(name)}, {value})" if types.get(name) == "array" else f"t.{lake.quoted(name)} = {value}"
        for name in columns
    )


def count_by_subject(spark: SparkSession, path: str, view: str, condition: str, version: int | None = None) -> dict[str, int]:
    source = f"delta.{lake.quoted(path)}" + (f" VERSION AS OF {version}" if version is not None else "")
    rows = spark.sql(f"SELECT s.subject_key, count(*) AS n FROM {source} AS t JOIN {view} AS s ON {condition} GROUP BY s.subject_key").collect()
    return {row["subject_key"]: row["n"] for row in rows}


# Delta writes a session's ``commitInfo.userMetadata`` into the commit it makes: a deletion's commit says why it was made.
_COMMIT_NOTE = "spark.databricks.delta.commitInfo.userMetadata"


def delete_matching(spark: SparkSession, table: Table, path: str, view: str, condition: str, note: str | None = None) -> dict:
    """One MERGE deleting every row the condition matches; Delta's metrics of it.

    ``note`` goes into the commit's ``userMetadata`` (``DESCRIBE HISTORY`` shows it): a job killed between this
    commit and its own record of it finds, on its retry, what it had done.
    """
    quoted = lake.quoted(path)
    properties = spark.sql(f"DESCRIBE DETAIL delta.{quoted}").first()["properties"] or {}
    append_only = properties.get("delta.appendOnly") == "true"
    if append_only:
        lake.set_append_only(spark, path, False)  # as retention does (jobs/retention.py); set again below
    try:
        if note:
            spark.conf.set(_COMMIT_NOTE, note)
        try:
            lake.retry_on_conflict(lambda: spark.sql(f"MERGE INTO delta.{quoted} AS t USING {view} AS s ON {condition} WHEN MATCHED THEN DELETE").collect())
        finally:
            if note:
                spark.conf.unset(_COMMIT_NOTE)
        entry = spark.sql(f"DESCRIBE HISTORY delta.{quoted} LIMIT 1").first()
    finally:
        if append_only or table.append_only:
            lake.set_append_only(spark, path, True)
    return dict(entry["operationMetrics"] or {})
