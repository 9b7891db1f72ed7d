"""Interpreted against compiled expressions, side by side: the 311 job on one warm engine, days in turn.

    .venv/bin/python bench/codegen.py [--rows 2000 20000 100000] [--rounds 2]

On one machine the engine interprets Spark's expressions (``jobs/spark_config.py: INTERPRETED``): generating
and compiling Java code for every new plan costs more than small batches save by it. A run whose delivery
reaches ``pipeline.COMPILED_ROWS`` compiles them again for its session (``pipeline.session_sized_for``).
This bench shows where the two cross: one engine (``infra/spark_connect.sh``, local[2]) and one scratch lake;
after a warm-up day, for each size, ``--rounds`` pairs of days run as DAG runs do (land, session, job, close),
one day interpreted and one compiled in alternating order (the session set to ``spark_config.COMPILED``, with
``session_sized_for`` kept from switching it back). Prints per size the medians and compiled / interpreted:
above 1, interpreting is faster. Deliveries come from ``citylake generate``'s generator (2 % defects), written
before the clock starts. Needs `make setup`.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import statistics
import sys
from datetime import date, timedelta
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
os.environ.setdefault("CITYLAKE_PSEUDONYM_KEY", secrets.token_hex(32))

from bench.dag_run import timed_run  # noqa: E402
from bench.engine import engine, scratch_lake  # noqa: E402
from jobs import pipeline, spark_config  # noqa: E402
from jobs.nyc311 import job as nyc311  # noqa: E402
from jobs.settings import load_settings  # noqa: E402
from jobs.synthetic import nyc311 as generator  # noqa: E402

FIRST_DAY = date(2022, 5, 2)
WARM_UP_ROWS = 2000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[2000, 20000, 100000], help="delivery sizes to compare")
    parser.add_argument("--rounds", type=int, default=2, help="pairs of days per size")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    plan = [(rows, mode) for rows in args.rows for round_ in range(args.rounds) for mode in (("interpreted", "compiled") if round_ % 2 == 0 else ("compiled", "interpreted"))]
    days = [FIRST_DAY + timedelta(days=offset) for offset in range(1 + len(plan))]
    # The bench decides each run's mode: no delivery switches it on its own.
    pipeline.COMPILED_ROWS = sys.maxsize
    times: dict[tuple[int, str], list[float]] = {}
    with scratch_lake("codegen") as scratch:
        inbox = Path(os.environ["CITYLAKE_INBOX_ROOT"])
        for day, rows in zip(days, [WARM_UP_ROWS] + [rows for rows, _ in plan]):
            generator.write_day(inbox, day, rows, 11, 0.02)
        with engine(scratch / "state"):
            settings = load_settings()
            timed_run(settings, nyc311.SOURCE, days[0].isoformat(), "bench-warm-up", "nyc311_daily")
            for day, (rows, mode) in zip(days[1:], plan):
                conf = spark_config.COMPILED if mode == "compiled" else None
                seconds = timed_run(settings, nyc311.SOURCE, day.isoformat(), f"bench-{mode}-{day}", "nyc311_daily", conf)["total"]
                times.setdefault((rows, mode), []).append(seconds)
                print(f"{day}  {rows:>9,} rows  {mode:<12} {seconds:6.1f} s", flush=True)
    print(f"{'rows':>10}{'interpreted':>14}{'compiled':>11}{'compiled / interpreted':>25}")
    for rows in args.rows:
        interpreted, compiled = statistics.median(times[rows, "interpreted"]), statistics.median(times[rows, "compiled"])
        print(f"{rows:>10,}{interpreted:>13.1f}s{compiled:>10.1f}s{compiled / interpreted:>25.2f}")


if __name__ == "__main__":
    main()
