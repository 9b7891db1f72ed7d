"""Reading a delivered column whatever its spelling: sources publish one field under several names."""

from __future__ import annotations

import sys

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


def number(column: Column) -> Column:
    """A delivered number as a finite double; NULL when the text is none (so a row rule calls it unparseable).

    Spark's cast reads "NaN" and "Infinity" as numbers, and NaN compares greater than every number, so a
    rule such as ``tons < 0`` never catches it and a NaN reaches gold (a diversion rate of NaN blocked its
    gate: tests/test_gates_behind_row_rules.py found it). No feed means NaN or infinity by a value.
    """
    parsed = column.try_cast("double")
    return F.when(parsed.between(-sys.float_info.max, sys.float_info.max), parsed)
