"""Reading a delivered column whatever its spelling: sources publish one field under several names."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F


def pick(df: DataFrame, *spellings: str) -> Column:
    """The first non-null of ``df``'s columns named by any of ``spellings`` (case-insensitive, as Spark resolves).

    Bronze holds the union of every delivery's columns, so a file's rows carry their field under the
    spelling that file used and NULL under the others. A spelling no delivery used yet is not a
    column at all; when none is, the value is NULL (landing already refused files lacking it).
    """
    present = {name.lower(): name for name in df.columns}
    found = list(dict.fromkeys(present[spelling.lower()] for spelling in spellings if spelling.lower() in present))
    columns = [F.col(f"`{name}`") for name in found]
    if not columns:
        return F.lit(None).cast("string")
    return columns[0] if len(columns) == 1 else F.coalesce(*columns)


def blank_to_null(column: Column) -> Column:
    """Trimmed text, NULL for an empty cell: CSV exports write a missing value as an empty string."""
    trimmed = F.trim(column)
    return F.when(trimmed == "", F.lit(None)).otherwise(trimmed)
