"""What one spark-submit costs before any work, against a whole day of NYC 311, side by side.

    .venv/bin/python bench/submit_overhead.py [--repeat 3]

Submits, with the same configuration Airflow's operator uses, (1) an application that only starts
Spark, registers the catalog and stops, and (2) the real 311 job on the sample; prints wall times
and the share of the job's time that is start-up. Runs on a scratch lake; needs `make setup`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from jobs.landing import land_file  # noqa: E402
from jobs.nyc311.columns import REQUIRED_COLUMNS, SOURCE  # noqa: E402
from jobs.settings import load_settings, settings_environment  # noqa: E402
from jobs.spark_config import spark_conf  # noqa: E402

SAMPLE = PROJECT / "tests" / "data" / "nyc_311" / "nyc311_2022-05-01_first924.csv"


def submit(settings, application: Path, *arguments: str) -> float:
    command = [str(PROJECT / ".venv" / "bin" / "spark-submit"), "--master", "local[2]"]
    for key, value in {**spark_conf(settings), "spark.pyspark.python": sys.executable}.items():
        command += ["--conf", f"{key}={value}"]
    command += ["--py-files", str(PROJECT / "build" / "jobs.zip"), str(application), *arguments]
    environment = {
        **os.environ, **settings_environment(settings), "SPARK_LOCAL_IP": "127.0.0.1",
        "PATH": f"{PROJECT / '.venv' / 'bin'}:{os.environ['PATH']}",
    }
    started = time.perf_counter()
    subprocess.run(command, env=environment, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="citylake-bench-"))
    try:
        settings = load_settings({**os.environ, "CITYLAKE_LAKE_ROOT": str(scratch / "lake"), "CITYLAKE_SPARK_MASTER": "local[2]"})
        land_file(settings, SOURCE, "2022-05-01", SAMPLE, REQUIRED_COLUMNS)
        noop, full = [], []
        for attempt in range(args.repeat):
            noop.append(submit(settings, PROJECT / "bench" / "noop_app.py"))
            full.append(
                submit(
                    settings, PROJECT / "jobs" / "run.py", "nyc311", "--logical-date", "2022-05-01",
                    "--run-id", f"bench-{attempt}", "--expectations-dir", str(PROJECT / "expectations"),
                )
            )
        start_up, job = statistics.median(noop), statistics.median(full)
        print(f"spark-submit start-up only (start, stop)        : median {start_up:.1f} s  runs {[round(t, 1) for t in noop]}")
        print(f"nyc311 job, one day (924 rows):                    median {job:.1f} s  runs {[round(t, 1) for t in full]}")
        print(f"start-up share of the job: {start_up / job:.2f}")
        print(f"if each of the job's 5 steps (bronze, validate, quarantine, silver, gold) were its own task: "
              f"{5 * start_up + (job - start_up):.1f} s instead of {job:.1f} s ({(5 * start_up + job - start_up) / job:.2f}x)")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
