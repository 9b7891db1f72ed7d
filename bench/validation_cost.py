"""What the quality gate costs, side by side in one run: GE validation vs ingest vs one hand-written pass.

    .venv/bin/python bench/validation_cost.py [--rows 1000000 10000000]

For each size: generates a silver-shaped batch of NYC 311 service requests (the columns of
silver.service_requests, realistic values, a few defects), writes it as a CSV delivery, then measures

- ingest: the delivery taken into bronze by the pipeline's own code (jobs/pipeline.py ``ingest_bronze``:
  the CSV read as every delivery is, all columns as strings, multi-line records allowed, malformed rows
  kept, lineage added, appended to a Delta table with column mapping); the target is stated against
  this, the batch's ingest time in the pipeline. For reference, a plain CSV -> Delta copy is timed too;
- validation: the silver suite (expectations/silver_service_requests.json) run by Great Expectations on
  the staged batch, persisted once, with the result format the pipeline uses (no row samples);
- single pass: one hand-written Spark aggregation that computes the same checks in one scan.

Each side is measured REPEATS times, interleaved, and the median is reported: on a 2-core machine one
timing varies by a second or more. Prints the times and the ratios the target is stated in
(validation <= 0.3 x ingest, <= 2 x single pass). Runs on a scratch folder with the session the tests use (local[2]); needs `make setup`.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
# Every Spark listener on loopback, as in the rest of the project.
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")

from jobs import pipeline, quality  # noqa: E402
from jobs.landing import DeliveryColumns, ManifestEntry  # noqa: E402
from jobs.nyc311.job import SOURCE as NYC311  # noqa: E402
from jobs.settings import load_settings  # noqa: E402
from jobs.spark_config import build_session  # noqa: E402
from bench.engine import engine  # noqa: E402

SUITE = PROJECT / "expectations" / "silver_service_requests.json"
REPEATS = 3
PARAMETERS = {"freshness_min_day": "2022-04-30", "volume_min": 0, "volume_max": None}
BOROUGHS = ["Manhattan", "Brooklyn", "Queens", "Bronx", "Staten Island", "Unspecified"]
THEMES = ["transport", "waste and sanitation", "public safety", "noise", "housing", "environment", "other"]


def generate(spark, rows: int):
    """A silver-shaped batch: unique keys, one day of requests, about 1 % with no closure."""
    from pyspark.sql import functions as F

    seconds = (F.col("id") * 7919 % 86400).cast("long")
    created = (F.lit(1651377600).cast("long") + seconds).cast("timestamp")
    pick = lambda values, salt: F.element_at(F.array(*[F.lit(v) for v in values]), (F.hash(F.col("id"), F.lit(salt)) % len(values) + len(values)) % len(values) + 1)  # noqa: E731
    return spark.range(rows).select(
        (F.col("id") + 50_000_000).alias("request_id"),
        created.alias("created_at"),
        F.when(F.col("id") % 100 == 0, None).otherwise(created + F.expr("INTERVAL 3 HOURS")).alias("closed_at"),
        F.lit(None).cast("timestamp").alias("resolution_updated_at"),
        F.to_date(created).alias("created_date"),
        F.when(F.col("id") % 100 == 0, None).otherwise(F.to_date(created + F.expr("INTERVAL 3 HOURS"))).alias("closed_date"),
        F.lit("NYPD").alias("agency"),
        F.lit("Noise - Residential").alias("complaint_type"),
        F.lit("Loud Music/Party").alias("descriptor"),
        pick(THEMES, 1).alias("theme"),
        F.lit("Closed").alias("status"),
        pick(BOROUGHS, 2).alias("borough"),
        F.lit("10452").alias("incident_zip"),
        F.lit("04 BRONX").alias("community_board"),
        F.lit("ONLINE").alias("channel"),
        F.round(F.lit(40.5) + (F.col("id") % 400) / 1000, 3).alias("latitude"),
        F.round(F.lit(-74.2) + (F.col("id") % 500) / 1000, 3).alias("longitude"),
        F.lit("bench.csv").alias("source_file"),
        F.lit("bench-batch").alias("batch_id"),
    )


def single_pass(batch) -> dict:
    """The suite's checks as one aggregation: one scan, one row of counts."""
    from pyspark.sql import functions as F

    def count_where(condition):
        return F.sum(F.when(condition, 1).otherwise(0))

    return batch.agg(
        F.count("*").alias("rows"),
        count_where(F.col("request_id").isNull()).alias("request_id_null"),
        (F.count("request_id") - F.countDistinct("request_id")).alias("request_id_repeats"),
        count_where(F.col("created_at").isNull()).alias("created_at_null"),
        count_where(F.col("closed_at") < F.col("created_at")).alias("closed_before_created"),
        count_where(~F.col("borough").isin(BOROUGHS)).alias("borough_unknown"),
        count_where(~F.col("theme").isin(THEMES)).alias("theme_unknown"),
        count_where(~F.col("latitude").between(40.47, 40.93)).alias("latitude_out"),
        count_where(~F.col("longitude").between(-74.27, -73.68)).alias("longitude_out"),
        count_where(F.col("source_file").isNull()).alias("source_file_null"),
        F.max("created_date").alias("newest_day"),
    ).first().asDict()


def timed(action) -> tuple[float, object]:
    started = time.perf_counter()
    value = action()
    return time.perf_counter() - started, value


def pipeline_ingest(spark, settings, delivery: str, rows: int, table: str) -> None:
    """The delivery into a fresh bronze table by ``pipeline.ingest_bronze``, as a landed file is."""
    source = dataclasses.replace(NYC311, name="bench", columns=DeliveryColumns((("request_id",),)), bronze=("bronze", table))
    entry = ManifestEntry("bench", "bench.csv", "2022-05-01", 0, "0" * 64, rows, "2022-05-01T00:00:00+00:00", delivery)
    pipeline.ingest_bronze(spark, settings, source, entry)


def measure(spark, settings, scratch: Path, rows: int, repeats: int) -> dict:
    delivery = str(scratch / f"delivery-{rows}")
    generate(spark, rows).write.mode("overwrite").option("header", True).csv(delivery)
    staged = str(scratch / f"staged-{rows}")
    generate(spark, rows).write.format("delta").mode("overwrite").save(staged)
    batch = spark.read.format("delta").load(staged).persist()
    persist_seconds, _ = timed(batch.count)  # the gate's one read of the staged batch
    parameters = {**PARAMETERS, "rows_to_publish": rows}
    seconds: dict[str, list[float]] = {"ingest": [], "plain_copy": [], "validation": [], "single_pass": []}
    for repeat in range(repeats):
        seconds["ingest"].append(timed(lambda: pipeline_ingest(spark, settings, delivery, rows, f"bench_{rows}_{repeat}"))[0])
        plain = str(scratch / f"plain-{rows}-{repeat}")
        seconds["plain_copy"].append(timed(lambda: spark.read.option("header", True).csv(delivery).write.format("delta").mode("append").save(plain))[0])
        elapsed, results = timed(lambda: quality.validate(batch, SUITE, parameters))
        seconds["validation"].append(elapsed)
        seconds["single_pass"].append(timed(lambda: single_pass(batch))[0])
    batch.unpersist()
    failed = [result.expectation_type for result in results if not result.success]
    return {"rows": rows, "persist": persist_seconds, "failed": failed, **{side: statistics.median(values) for side, values in seconds.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--repeats", type=int, default=REPEATS, help="timings per side; the median is reported")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="citylake-bench-ge-"))
    os.environ.setdefault("CITYLAKE_SHUFFLE_PARTITIONS", "8")
    settings = load_settings({**os.environ, "CITYLAKE_LAKE_ROOT": str(scratch / "lake"), "CITYLAKE_SPARK_MASTER": "local[2]"})
    try:
        with engine(scratch / "state", memory="6g", CITYLAKE_SHUFFLE_PARTITIONS=os.environ["CITYLAKE_SHUFFLE_PARTITIONS"]):
            spark = build_session(load_settings({**os.environ, "CITYLAKE_LAKE_ROOT": str(scratch / "lake")}), "citylake-bench-validation")
            # Warm the engine and Great Expectations once, so the first size does not pay for class loading.
            measure(spark, settings, scratch, 10_000, 1)
            measured = [measure(spark, settings, scratch, rows, args.repeats) for rows in args.rows]
            spark.stop()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"{'rows':>12} {'ingest':>9} {'plain copy':>10} {'persist':>9} {'GE suite':>9} {'1 pass':>9} {'GE/ingest':>10} {'GE/1 pass':>10} {'GE/plain':>9}  failed")
    for m in measured:
        print(
            f"{m['rows']:>12,} {m['ingest']:>8.1f}s {m['plain_copy']:>9.1f}s {m['persist']:>8.1f}s {m['validation']:>8.1f}s {m['single_pass']:>8.1f}s "
            f"{m['validation'] / m['ingest']:>10.2f} {m['validation'] / m['single_pass']:>10.2f} {m['validation'] / m['plain_copy']:>9.2f}  {', '.join(m['failed']) or 'none'}"
        )
    expectations = len(quality.load_suite(SUITE).expectations)
    print(
        f"targets: GE/ingest <= 0.30, GE/1 pass <= 2.00 ({SUITE.name}: {expectations} expectations; "
        f"medians of {args.repeats} interleaved timings; persist is the staged batch's one read)"
    )


if __name__ == "__main__":
    main()
