"""What keyed pseudonyms cost, side by side in one run: HMAC-SHA-256 in a pandas UDF vs Spark's plain sha2.

    .venv/bin/python bench/pseudonym_cost.py [--rows 1000000 10000000] [--silver-rows 1000000] [--repeats 3]

Two measurements, each side timed REPEATS times, interleaved, medians reported (one timing on a 2-core
machine varies by a second or more):

1. identifiers alone: N identifiers pseudonymised by ``jobs.pseudonyms`` (keyed HMAC, Python's ``hmac`` in
   a scalar pandas UDF, keys in the UDF's closure) against Spark's built-in, unkeyed ``sha2(_, 256)``, both
   written to Spark's ``noop`` sink so only the computation is timed;
2. the silver step: a 311-shaped silver batch (the columns of silver.service_requests, as
   bench/validation_cost.py generates them) plus one identifier column, published through the pipeline's
   own write-audit-publish (declaration check, the silver suite, MERGE into a table that already holds the
   batch, audit rows) three ways: the id kept, replaced by an unkeyed sha2 of a pseudonym's width (the
   width alone), and pseudonymised on the way in. Each side's batch is persisted first, as the pipeline
   persists its silver batch (an uncached batch would be staged: a side that alone were staged would pay a
   write and a read more). The target is stated against this: pseudonymisation adds at most 20 % to the
   silver step at 1M rows.

Runs on a scratch folder with the session the tests use (local[2]); needs `make setup`.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
# A throw-away key for the run, like a deployment's secret.
os.environ.setdefault("CITYLAKE_PSEUDONYM_KEY", secrets.token_hex(32))

from bench.validation_cost import generate  # noqa: E402
from jobs import declarations, lake, publish, pseudonyms  # noqa: E402
from jobs.audit import RunContext  # noqa: E402
from jobs.settings import load_settings  # noqa: E402
from jobs.spark_config import build_session  # noqa: E402
from bench.engine import engine  # noqa: E402

TARGET_SHARE = 0.20
RUN = RunContext("bench", "bench", "silver", "2022-05-01")


def bench_table(side: str) -> declarations.Table:
    """silver.service_requests' declaration plus a person identifier: kept, unkeyed sha2 (kept) or pseudonymised."""
    silver = declarations.registry().table("silver.service_requests")
    pseudonymised = side == "hmac"
    person = declarations.Column("person_id", "string", "direct_identifier" if pseudonymised else "none", "pseudonymise" if pseudonymised else "keep", "a resident's id")
    columns = (*silver.columns, person)
    if pseudonymised:
        columns += (declarations.Column(declarations.KEY_VERSION_COLUMN, "int", "none", "keep", "key version"),)
    return declarations.Table(name=f"silver.bench_{side}", domain="bench", owner="bench", description="bench", columns=columns, key=("request_id",), suite=silver.suite)


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def identifiers_alone(spark, rows: int, repeats: int, key) -> dict:
    from pyspark.sql import functions as F

    ids = spark.range(rows).select(F.concat(F.lit("P-"), F.col("id").cast("string")).alias("person_id")).persist()
    ids.count()
    (table,), *_ = declarations.parse("bench", "owner: bench\ntables:\n  - name: silver.ids\n    columns:\n      - {name: person_id, type: string, classification: direct_identifier, treatment: pseudonymise}\n")
    sides = {
        "hmac": lambda: pseudonyms.pseudonymise(ids, table, key).write.format("noop").mode("overwrite").save(),
        "sha2": lambda: ids.select(F.sha2("person_id", 256).alias("person_id")).write.format("noop").mode("overwrite").save(),
    }
    times = {side: [] for side in sides}
    for _ in range(repeats):
        for side, action in sides.items():
            times[side].append(timed(action))
    ids.unpersist()
    return {side: statistics.median(values) for side, values in times.items()}


def silver_step(spark, settings, rows: int, repeats: int, key, expectations_dir: Path) -> dict:
    from pyspark.sql import functions as F

    batch = generate(spark, rows).withColumn("person_id", F.concat(F.lit("P-"), (F.col("request_id") % 250_000).cast("string"))).persist()
    batch.count()
    # Three sides: the id kept (up to 8 characters), replaced by Spark's unkeyed sha2 cut to a pseudonym's width
    # (what a wider column costs in every write, read and MERGE after it, with no Python), and pseudonymised
    # (HMAC in the UDF).
    width = pseudonyms.PSEUDONYM_HEX_CHARS
    sides = {
        "plain": lambda table: batch.select(*batch.columns),
        "sha2": lambda table: batch.withColumn("person_id", F.substring(F.sha2("person_id", 256), 1, width)),
        "hmac": lambda table: pseudonyms.pseudonymise(batch, table, key),
    }
    tables = {side: bench_table(side) for side in sides}

    def publish_once(side: str) -> None:
        # As jobs/pipeline.py does: the silver batch (pseudonymised or not) is persisted before the
        # write-audit-publish, so each side is computed once, validated from the cache and not staged.
        table = tables[side]
        rows_in = sides[side](table).persist()
        try:
            publish.write_audit_publish(
                spark, settings, RUN, table, rows_in, f"bench-{side}", expectations_dir,
                lambda staged: lake.merge_by_key(staged, settings, table.zone, table.table, table.key),
                ["bench.csv"], reconciliation={"rows_to_publish": rows},
            )
        finally:
            rows_in.unpersist()

    for side in sides:  # the first publication creates each table: a later one MERGEs like a rerun
        publish_once(side)
    times = {side: [] for side in sides}
    for _ in range(repeats):
        for side in sides:
            times[side].append(timed(lambda: publish_once(side)))
    batch.unpersist()
    return {side: statistics.median(values) for side, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000], help="identifiers for the side-by-side with sha2")
    parser.add_argument("--silver-rows", type=int, default=1_000_000, help="rows of the silver step (the target's size)")
    parser.add_argument("--repeats", type=int, default=3, help="timings per side; the median is reported")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="citylake-bench-pseudonyms-"))
    environment = {**os.environ, "CITYLAKE_LAKE_ROOT": str(scratch / "lake"), "CITYLAKE_SPARK_MASTER": "local[2]"}
    settings = load_settings(environment)
    os.environ.setdefault("CITYLAKE_SHUFFLE_PARTITIONS", "4")
    try:
        with engine(scratch / "state", memory="6g", CITYLAKE_SHUFFLE_PARTITIONS=os.environ["CITYLAKE_SHUFFLE_PARTITIONS"]):
            settings = load_settings({**environment, "CITYLAKE_SPARK_REMOTE": os.environ["CITYLAKE_SPARK_REMOTE"]})
            spark = build_session(settings, "citylake-bench-pseudonyms")
            key = pseudonyms.read_key(settings)
            try:
                print(f"{'identifiers':>12} {'HMAC (s)':>9} {'sha2 (s)':>9} {'HMAC/sha2':>9} {'ids/s HMAC':>11}")
                for rows in args.rows:
                    figures = identifiers_alone(spark, rows, args.repeats, key)
                    print(f"{rows:>12,} {figures['hmac']:>9.2f} {figures['sha2']:>9.2f} {figures['hmac'] / figures['sha2']:>9.2f} {rows / figures['hmac']:>11,.0f}")
                step = silver_step(spark, settings, args.silver_rows, args.repeats, key, PROJECT / "expectations")
                share = step["hmac"] / step["plain"] - 1
                verdict = "met" if share <= TARGET_SHARE else "MISSED"
                print(
                    f"\nsilver step, {args.silver_rows:,} rows (suite, MERGE, audit): id kept {step['plain']:.2f} s, "
                    f"unkeyed sha2 of a pseudonym's width {step['sha2']:.2f} s ({step['sha2'] / step['plain'] - 1:+.1%}), "
                    f"pseudonymised {step['hmac']:.2f} s: pseudonyms add {share:.1%} (target <= {TARGET_SHARE:.0%}: {verdict})"
                )
            finally:
                spark.stop()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

if __name__ == "__main__":
    main()
