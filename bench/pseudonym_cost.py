"""What keyed pseudonyms cost, side by side in one run: HMAC-SHA-256 in a pandas UDF vs Spark's plain sha2.

    .venv/bin/python bench/pseudonym_cost.py [--rows 1000000 10000000] [--silver-rows 1000000] [--repeats 3]

Two measurements, each side timed REPEATS times, interleaved, medians reported (one timing on a 2-core
machine varies by a second or more):

1. identifiers alone: N identifiers pseudonymised by ``jobs.pseudonyms`` (keyed HMAC, Python's ``hmac`` in
   an iterator pandas UDF, keys in the UDF's closure) against Spark's built-in, unkeyed ``sha2(_, 256)``, both
   written to Spark's ``noop`` sink so only the computation is timed;
2. the silver step: a 311-shaped silver batch (the columns of silver.service_requests, as
   bench/validation_cost.py generates them) plus one identifier column, published through the pipeline's
   own write-audit-publish (declaration check, staging, the silver suite, MERGE into a table that already
   holds the batch, audit rows), once as is and once pseudonymised on the way in. The target is stated
   against this: pseudonymisation adds at most 20 % to the silver step at 1M rows.

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


def bench_table(with_pseudonyms: bool) -> declarations.Table:
    """silver.service_requests' declaration plus a person identifier, pseudonymised or (for the baseline) kept."""
    silver = declarations.registry().table("silver.service_requests")
    person = declarations.Column("person_id", "string", "direct_identifier" if with_pseudonyms else "none", "pseudonymise" if with_pseudonyms else "keep", "a resident's id")
    columns = list(silver.columns) + [person]
    name = "silver.bench_pseudonymised" if with_pseudonyms else "silver.bench_plain"
    table = declarations.Table(name=name, domain="bench", owner="bench", description="bench", columns=tuple(columns), key=("request_id",), suite=silver.suite)
    if with_pseudonyms:
        table = declarations.Table(**{**table.__dict__, "columns": table.columns + (declarations.Column(declarations.KEY_VERSION_COLUMN, "int", "none", "keep", "key version"),)})
    return table


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def identifiers_alone(spark, rows: int, repeats: int, key) -> dict:
    from pyspark.sql import functions as F

    ids = spark.range(rows).select(F.concat(F.lit("P-"), F.col("id").cast("string")).alias("person_id")).persist()
    ids.count()
    (table,), _, _ = declarations.parse("bench", "owner: bench\ntables:\n  - name: silver.ids\n    columns:\n      - {name: person_id, type: string, classification: direct_identifier, treatment: pseudonymise}\n")
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
    tables = {False: bench_table(False), True: bench_table(True)}

    def publish_once(with_pseudonyms: bool) -> None:
        table = tables[with_pseudonyms]
        rows_in = pseudonyms.pseudonymise(batch, table, key) if with_pseudonyms else batch
        publish.write_audit_publish(
            spark, settings, RUN, table, rows_in, f"bench-{with_pseudonyms}", expectations_dir,
            lambda staged: lake.merge_by_key(staged, settings, table.zone, table.table, table.key),
            ["bench.csv"], reconciliation={"rows_to_publish": rows},
        )

    for side in tables:  # the first publication creates each table: a later one MERGEs like a rerun
        publish_once(side)
    times = {False: [], True: []}
    for _ in range(repeats):
        for side in tables:
            times[side].append(timed(lambda: publish_once(side)))
    batch.unpersist()
    return {"plain": statistics.median(times[False]), "pseudonymised": statistics.median(times[True])}


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
                share = step["pseudonymised"] / step["plain"] - 1
                verdict = "met" if share <= TARGET_SHARE else "MISSED"
                print(
                    f"\nsilver step, {args.silver_rows:,} rows (stage, suite, MERGE, audit): plain {step['plain']:.2f} s, "
                    f"pseudonymised {step['pseudonymised']:.2f} s: pseudonyms add {share:.1%} (target <= {TARGET_SHARE:.0%}: {verdict})"
                )
            finally:
                spark.stop()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

if __name__ == "__main__":
    main()
