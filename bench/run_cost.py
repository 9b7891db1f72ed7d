"""Where one source run's time goes, phase by phase, cold and warm, on the lake's warm engine.

    .venv/bin/python bench/run_cost.py [--rows 2000] [--history 30]

A fresh engine (``infra/spark_connect.sh``, local[2]) is started and timed; then the 311 job runs day
after day over generated deliveries (``citylake generate``'s generator, 2 % defects) as a DAG run does
(land the files, open a Connect session, run the job, close the session). The first day is the cold
run (the engine's JIT and Delta, Great Expectations code paths still cold), the second the warm one.
With ``--history N`` the days go on to N + 1, and the last day's run is set beside the second's: a
day's run must not grow with the lake's history (target: at most 1.3x).

Phases are the job's own (``jobs/phases.py``, logged in every task log too). Needs `make setup`.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import sys
import time
from datetime import date, timedelta
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
os.environ.setdefault("CITYLAKE_PSEUDONYM_KEY", secrets.token_hex(32))

from bench.dag_run import timed_run  # noqa: E402
from bench.engine import engine, scratch_lake  # noqa: E402
from jobs.nyc311 import job as nyc311  # noqa: E402
from jobs.settings import load_settings  # noqa: E402
from jobs.synthetic import nyc311 as generator  # noqa: E402

FIRST_DAY = date(2022, 5, 2)
HISTORY_TARGET = 1.3


def one_run(settings, day: str) -> dict[str, float]:
    """Land, session, job, close: one DAG run's work; returns seconds per phase (plus ``total``)."""
    return timed_run(settings, nyc311.SOURCE, day, f"bench-{day}", "nyc311_daily")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000, help="rows per day's delivery")
    parser.add_argument("--history", type=int, default=0, help="days to run after the warm one before the last timed run")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    days = [FIRST_DAY + timedelta(days=offset) for offset in range(2 + args.history)]
    with scratch_lake("run") as scratch:
        list(generator.write_range(Path(os.environ["CITYLAKE_INBOX_ROOT"]), days[0], days[-1], args.rows, 11, 0.02))
        started = time.perf_counter()
        with engine(scratch / "state"):
            engine_start = time.perf_counter() - started
            settings = load_settings()
            runs = [one_run(settings, day.isoformat()) for day in days]

    cold, warm, last = runs[0], runs[1], runs[-1]
    print(f"311 job, {args.rows:,} rows a day, local[2]; engine start (a cold JVM, paid once): {engine_start:.1f} s")
    names = list(dict.fromkeys(name for run in (cold, warm, last) for name in run if name != "total")) + ["total"]
    header = f"{'phase':<36}{'cold (day 1)':>14}{'warm (day 2)':>14}"
    if args.history:
        header += f"{f'day {len(days)}':>14}"
    print(header)
    for name in names:
        line = f"{name:<36}{cold.get(name, 0):>13.2f}s{warm.get(name, 0):>13.2f}s"
        if args.history:
            line += f"{last.get(name, 0):>13.2f}s"
        print(line)
    print(f"warm run / cold run: {warm['total'] / cold['total']:.2f}")
    if args.history:
        ratio = last["total"] / warm["total"]
        print(f"day {len(days)} (lake holds {len(days) - 1} days) / day 2: {ratio:.2f} (target <= {HISTORY_TARGET})")


if __name__ == "__main__":
    main()
