"""The audit tables partitioned by DAG against one partition, side by side: DAGs writing their trails at once.

    .venv/bin/python bench/audit_writes.py [--dags 4] [--days 6]

Every run of every DAG replaces its own rows of ``audit.dq_results``, ``audit.publications`` and
``audit.reconciliation``. Unpartitioned, Delta cannot tell that two such ``replaceWhere``s touch different
rows, so a commit that lands while another DAG's is in flight fails with ``DELTA_CONCURRENT_APPEND`` and
is retried after a pause. Partitioned by ``dag_id`` (the declared layout), each run's predicate names its
DAG's partition and the commits are disjoint.

On one warm engine (``infra/spark_connect.sh``, local[2]) two scratch lakes, one per layout, their audit tables
created empty before the first write (the one-partition layout is what a lake older than the declaration holds).
Each day, for each layout in turn: every DAG writes a run's trail at the same moment from its own Connect
session (threads released together: what the demo's four DAGs do), then again one DAG after the other.
Prints per layout the conflicts retried and the wall time of the days' writes at once and in turn, and the
ratio of the two layouts' times. Needs `make setup`.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")

from pyspark.sql import SparkSession  # noqa: E402

from bench.engine import engine, scratch_lake  # noqa: E402
from jobs import audit, lake  # noqa: E402
from jobs.audit import Reconciliation, RunContext  # noqa: E402
from jobs.quality import ExpectationResult  # noqa: E402
from jobs.settings import load_settings  # noqa: E402

LAYOUTS = ("partitioned by DAG", "one partition")
TABLES = {"dq_results": audit.DQ_RESULTS_SCHEMA, "publications": audit.PUBLICATIONS_SCHEMA, "reconciliation": audit.RECONCILIATION_SCHEMA}
EXPECTATIONS = {"batch": 8, "silver.t": 15, "gold.t": 10}  # about a source run's


def write_trail(spark: SparkSession, settings, run: RunContext) -> None:
    """One run's audit trail, as a source run records it: one batch, its expectations, publications, reconciliation."""
    batch = f"{run.dag_id}-{run.logical_date}"
    with audit.recording(spark, settings, run):
        for table_name, count in EXPECTATIONS.items():
            results = [ExpectationResult("suite.json", f"expect_{n}", "c", "critical", True, "0", 0, 0.0, None) for n in range(count)]
            audit.record_quality(spark, settings, run, table_name, batch, 3, results)
        for table_name in ("silver.t", "gold.t"):
            audit.record_publication(spark, settings, run, table_name, batch, 3, 1960, [f"{batch}.csv"])
        audit.record_reconciliation(spark, settings, run, Reconciliation("src", batch, f"{batch}.csv", 2000, 2000, 1960, 40))


def at_once(sessions: list[SparkSession], settings, day: str) -> float:
    """Every DAG writes its run's trail at the same moment; the seconds until the last is written."""
    together = threading.Barrier(len(sessions))
    errors: list[Exception] = []

    def write(number: int, session: SparkSession) -> None:
        try:
            together.wait(timeout=120)
            write_trail(session, settings, RunContext(f"scheduled__{day}", f"dag_{number}", "bronze_to_gold", day))
        except Exception as error:  # noqa: BLE001 - raised below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(number, session)) for number, session in enumerate(sessions)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - started


def in_turn(sessions: list[SparkSession], settings, day: str) -> float:
    """The same trails, one DAG after the other (a later run of the same day: its rows replace nothing of the first)."""
    started = time.perf_counter()
    for number, session in enumerate(sessions):
        write_trail(session, settings, RunContext(f"manual__{day}", f"dag_{number}", "bronze_to_gold", day))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dags", type=int, default=4, help="DAGs writing at once")
    parser.add_argument("--days", type=int, default=6, help="days of runs each layout takes")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    conflicts = dict.fromkeys(LAYOUTS, 0)
    seconds = {(layout, mode): 0.0 for layout in LAYOUTS for mode in ("at once", "in turn")}
    current = [LAYOUTS[0]]
    is_conflict = lake.is_conflict

    def counted(error: Exception) -> bool:
        conflict = is_conflict(error)
        conflicts[current[0]] += conflict
        return conflict

    lake.is_conflict = counted  # retry_on_conflict asks this once per failed attempt
    with scratch_lake("audit-writes") as scratch, engine(scratch / "engine"):
        settings = {
            layout: load_settings({**os.environ, "CITYLAKE_LAKE_ROOT": str(scratch / f"lake-{n}"), "CITYLAKE_REPORTS_ROOT": str(scratch / f"reports-{n}")})
            for n, layout in enumerate(LAYOUTS)
        }
        sessions = [SparkSession.builder.remote(os.environ["CITYLAKE_SPARK_REMOTE"]).create() for _ in range(args.dags)]
        try:
            for table, schema in TABLES.items():  # both created before any write (first writes creating a table conflict either way)
                for layout, columns in zip(LAYOUTS, (("dag_id",), ())):
                    sessions[0].createDataFrame([], schema).write.format("delta").partitionBy(*columns).save(settings[layout].table_path("audit", table))
            for number in range(args.days):
                day = f"2022-05-{number + 1:02d}"
                for layout in LAYOUTS if number % 2 == 0 else reversed(LAYOUTS):  # alternate which goes first
                    current[0] = layout
                    seconds[(layout, "at once")] += at_once(sessions, settings[layout], day)
                    seconds[(layout, "in turn")] += in_turn(sessions, settings[layout], day)
                print(f"day {number + 1}: conflicts so far {conflicts}", flush=True)
            for layout in LAYOUTS:
                held = lake.partition_columns(sessions[0], settings[layout], "audit", "dq_results")
                print(f"{layout}: audit.dq_results partitioned by {held or 'nothing'}")
        finally:
            for session in sessions:
                session.stop()
    print(f"\n{args.dags} DAGs, {args.days} days, 3 audit tables; local[2], one warm engine")
    for layout in LAYOUTS:
        print(f"  {layout:20s} conflicts retried {conflicts[layout]:4d}   at once {seconds[(layout, 'at once')]:7.1f} s   in turn {seconds[(layout, 'in turn')]:7.1f} s")
    for mode in ("at once", "in turn"):
        ratio = seconds[(LAYOUTS[0], mode)] / seconds[(LAYOUTS[1], mode)]
        print(f"  {mode}: partitioned by DAG takes {ratio:.2f}x the time of one partition")


if __name__ == "__main__":
    main()
