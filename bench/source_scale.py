"""A 1M-row and a 10M-row delivery of each city source, side by side on one warm engine.

    .venv/bin/python bench/source_scale.py [--sources nyc_311 nyc_tlc_yellow chicago_crimes nyc_dsny_waste]
                                           [--rows 1000000 10000000] [--memory 3g]

For each source a fresh engine (``infra/spark_connect.sh``, local[2], the driver memory asked for: the
README's default is 3g) first runs a 2,000-row day, so neither timed run pays the cold JVM; then each
size runs on its own scratch lake as one DAG run does (land the file, open a Connect session, run the
source's job bronze to gold with its gates and audit, close the session). Deliveries come from the
source's generator (``citylake generate``'s, 2 % defects) and are written before the clock starts.

Prints per source and size the run's time, the job's own phases that grew the most, the engine's peak
resident memory (the JVM's VmHWM: what the machine had to hold), and the ratio of the largest size's
time to the smallest's (target: 10M at most 12x 1M). For the 1M-row run also the warm-execution targets:
the fixed cost (the warm-up run's time) at most 25 % of it, and the run at most 5x its bronze phase (the
bare ingest of the same file: ``pipeline.ingest_bronze``, what bench/validation_cost.py times). An engine
that runs out of memory fails the run, and the bench says so, with the engine log's errors. Needs `make setup`.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import sys
import traceback
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Callable

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
os.environ.setdefault("CITYLAKE_PSEUDONYM_KEY", secrets.token_hex(32))

from bench.dag_run import timed_run  # noqa: E402
from bench.engine import engine, scratch_lake  # noqa: E402
from jobs import phases, pipeline  # noqa: E402
from jobs.crimes.job import SOURCE as CRIMES  # noqa: E402
from jobs.nyc311.job import SOURCE as NYC311  # noqa: E402
from jobs.settings import load_settings  # noqa: E402
from jobs.synthetic import crimes, nyc311, taxi, waste  # noqa: E402
from jobs.taxi.job import SOURCE as TAXI  # noqa: E402
from jobs.waste.job import SOURCE as WASTE  # noqa: E402

RATIO_TARGET = 12.0  # 10M at most 12x 1M
FIXED_SHARE_TARGET = 0.25  # on 1M rows, what does not scale with rows at most 25 % of the run
INGEST_RATIO_TARGET = 5.0  # on 1M rows, the whole job at most 5x the bare ingest of the same file
WARM_UP_ROWS = 2_000
DEFECT_SHARE = 0.02


@dataclass(frozen=True)
class Scaled:
    """A source, the day its timed deliveries are for, and how its generator writes ``rows`` of one."""

    source: pipeline.Source
    day: date
    write: Callable[[Path, date, int], Path]


SOURCES = {
    scaled.source.name: scaled
    for scaled in (
        Scaled(NYC311, date(2022, 5, 2), lambda inbox, day, rows: nyc311.write_day(inbox, day, rows, 311, DEFECT_SHARE)),
        Scaled(TAXI, date(2022, 5, 2), lambda inbox, day, rows: taxi.write_day(inbox, day, rows, 2019, DEFECT_SHARE)),
        Scaled(CRIMES, date(2022, 5, 2), lambda inbox, day, rows: crimes.write_day(inbox, day, rows, 2012, DEFECT_SHARE)),
        # A month of DSNY tonnage is one row per district: above the city's 59, synthetic districts.
        Scaled(WASTE, date(2022, 5, 1), lambda inbox, month, rows: waste.write_month(inbox, month, rows, 1990, DEFECT_SHARE)),
    )
}


def one_run(scaled: Scaled, rows: int, label: str) -> dict[str, float]:
    """On a fresh scratch lake: write the delivery, then one DAG run's work, timed by phase."""
    with scratch_lake(f"scale-{label}"):
        settings = load_settings()
        scaled.write(Path(settings.inbox_root), scaled.day, rows)
        return timed_run(settings, scaled.source, scaled.day.isoformat(), f"bench-scale-{label}", f"{scaled.source.name}_bench")


def engine_peak_bytes(state: Path) -> int:
    """The largest peak resident set (VmHWM) among the engine's processes: its supervisor made a session."""
    supervisor = int((state / "spark-connect" / "server.pid").read_text())
    peak = 0
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
            if int(fields[3]) != supervisor:  # fields after the name: state, ppid, pgrp, session
                continue
            for line in (status.parent / "status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]) * 1024)
        except (OSError, ValueError, IndexError):
            continue
    return peak


def engine_errors(state: Path, lines: int = 20) -> str:
    """The engine log's last lines that name an error (an out-of-memory shows there, not in the client's)."""
    log_file = state / "spark-connect" / "server.log"
    if not log_file.exists():
        return f"(no engine log at {log_file})"
    text = log_file.read_text(errors="replace").splitlines()
    errors = [line for line in text if "Error" in line or "Exception" in line or "exited" in line]
    # The first task that failed, with its stack: where in Spark the memory ran out.
    first = next((number for number, line in enumerate(text) if "ERROR Executor: Exception in task" in line), None)
    stack = [] if first is None else [line for line in text[first:first + 60] if line.startswith(("\tat ", "java.", "Caused by"))][:40]
    return "\n".join(f"  engine: {line[:300]}" for line in errors[-lines:] + stack)


def failed_where(error: Exception) -> str:
    """Where a failed run was: the phases it finished (the last ones) and the project's frames of the failing call."""
    # The report and the session's close run after a failure too (in ``finally``): not where it failed.
    before = [(name, seconds) for name, seconds in phases.TIMINGS if not name.startswith(("report", "session close"))]
    finished = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in before[-4:]) or "none"
    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if f"{os.sep}jobs{os.sep}" in frame.filename]
    calls = " > ".join(f"{Path(frame.filename).name}:{frame.lineno} {frame.name}" for frame in frames[-4:]) or "outside jobs/"
    return f"  last phases finished: {finished}\n  failing call: {calls}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", nargs="+", default=list(SOURCES), choices=list(SOURCES))
    parser.add_argument("--rows", nargs="+", type=int, default=[1_000_000, 10_000_000])
    parser.add_argument("--memory", default="3g", help="the engine's driver memory (CITYLAKE_SPARK_CONNECT_MEMORY)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    sizes = sorted(args.rows)
    results: dict[str, list[tuple[int, dict[str, float] | None, int]]] = {}
    fixed: dict[str, float] = {}  # the warm-up's time: a run whose rows cost next to nothing
    with scratch_lake("scale-engine") as scratch:
        for name in args.sources:
            scaled = SOURCES[name]
            state = scratch / name
            with engine(state, memory=args.memory):
                fixed[name] = one_run(scaled, WARM_UP_ROWS, f"{name}-warm-up")["total"]
                for rows in sizes:
                    try:
                        timings = one_run(scaled, rows, f"{name}-{rows}")
                    except Exception as error:  # noqa: BLE001 - a failed size is a result: print it, go on
                        print(f"{name}, {rows:,} rows: FAILED ({type(error).__name__}: {str(error).splitlines()[0][:300]})", flush=True)
                        print(failed_where(error), flush=True)
                        print(engine_errors(state), flush=True)
                        timings = None
                    results.setdefault(name, []).append((rows, timings, engine_peak_bytes(state)))
                    if timings:
                        print(f"{name}, {rows:,} rows: {timings['total']:.1f} s, engine peak {results[name][-1][2] / 2**30:.1f} GiB", flush=True)
    print(f"\nlocal[2], engine driver memory {args.memory}; each run: land + session + job (bronze to gold, gates, audit) + close")
    for name, runs in results.items():
        print(f"\n{name}")
        for rows, timings, peak in runs:
            if timings is None:
                print(f"  {rows:>12,} rows  FAILED (engine peak {peak / 2**30:.1f} GiB)")
                continue
            biggest = sorted(((seconds, phase) for phase, seconds in timings.items() if phase != "total"), reverse=True)[:4]
            print(f"  {rows:>12,} rows  {timings['total']:>8.1f} s  {rows / timings['total']:>9,.0f} rows/s  engine peak {peak / 2**30:.1f} GiB  "
                  + ", ".join(f"{phase} {seconds:.1f} s" for seconds, phase in biggest))
        timed = [(rows, timings) for rows, timings, _ in runs if timings]
        for rows, timings in timed:
            if rows == 1_000_000:
                print(f"  1,000,000 rows: fixed cost (the {WARM_UP_ROWS:,}-row run, {fixed[name]:.1f} s) {fixed[name] / timings['total']:.0%} of the run"
                      f" (target: at most {FIXED_SHARE_TARGET:.0%}); the run {timings['total'] / timings['bronze']:.2f}x its bronze phase,"
                      f" the bare ingest of the same file (target: at most {INGEST_RATIO_TARGET:.0f}x)")
        if len(timed) >= 2:
            (small, first), (large, last) = timed[0], timed[-1]
            ratio = last["total"] / first["total"]
            target = f" (target: at most {RATIO_TARGET:.0f}x)" if (small, large) == (1_000_000, 10_000_000) else ""
            print(f"  {large:,} / {small:,} rows: {ratio:.2f}x the time for {large / small:.0f}x the rows{target}")


if __name__ == "__main__":
    main()
