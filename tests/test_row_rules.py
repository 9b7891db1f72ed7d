"""The row rules' split, shared by every source: each row in exactly one output, one version per key."""

from __future__ import annotations

from pyspark.sql import functions as F

from jobs import row_rules

REASONS = {"amount_missing": "no amount", "duplicate": "the key's newer version is published"}
# (key, version, amount, raw text): newest version first wins, the raw row breaks ties; a broken copy never wins.
ROWS = [
    ("a", 1, 10, "a1"),
    ("a", 3, 10, "a3"),  # a's newest: published
    ("a", 2, 10, "a2"),
    ("b", 9, None, "b9"),  # newer, but broken: quarantined for its own rule, does not outrank b1
    ("b", 1, 20, "b1"),
    ("c", 1, 30, "c1"),  # once
    (None, 1, 40, "n1"),  # a null key is one key: one version published
    (None, 1, 40, "n2"),  # ties on the version: the greater raw row wins
    ("d", 5, 50, "d5"),
    ("d", 5, 50, "d5"),  # an identical line twice: one published, one quarantined
]


def split(spark):
    typed = spark.createDataFrame(ROWS, "key string, version int, amount int, text string").select(
        "*",
        F.struct(F.lit(None).cast("string").alias("malformed"), F.struct("text").alias("delivered")).alias("_raw_record"),
        F.lit("f.csv").alias("_source_file"),
        F.lit("b1").alias("_batch_id"),
        F.lit(None).cast("date").alias("_logical_date"),
    )
    published, quarantined = row_rules.split_by_row_rules(
        typed, F.when(F.col("amount").isNull(), F.lit("amount_missing")), REASONS, key="key",
        newest_first=[F.col("version").desc()], duplicate_rule="duplicate", record_key=F.col("key"), record_key_name="key",
    )
    return (
        sorted((row.key or "", row.text) for row in published.collect()),
        sorted((row.rule_id, row.key or "", row.raw_record) for row in quarantined.collect()),
    )


def test_one_version_per_key_is_published_and_every_other_row_is_quarantined_with_its_rule(spark):
    published, quarantined = split(spark)
    assert published == [("", "n2"), ("a", "a3"), ("b", "b1"), ("c", "c1"), ("d", "d5")]
    assert quarantined == [
        ("amount_missing", "b", '{"text":"b9"}'),
        ("duplicate", "", '{"text":"n1"}'),
        ("duplicate", "a", '{"text":"a1"}'),
        ("duplicate", "a", '{"text":"a2"}'),
        ("duplicate", "d", '{"text":"d5"}'),
    ]
    assert len(published) + len(quarantined) == len(ROWS)
