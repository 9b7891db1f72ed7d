"""Dashboard queries through the SQL endpoint, before and after the maintenance job, side by side.

    .venv/bin/python bench/dashboard_queries.py [--days 1095] [--files 1000] [--repeat 20]

Builds a scratch gold.service_requests_daily (days x boroughs x themes) written as many small files,
the shape that daily replaces leave behind; starts the SQL endpoint with infra/sql_endpoint.sh; runs
typical dashboard queries through PyHive (HiveServer2) and records p50/p95 latency; runs the
maintenance job (OPTIMIZE ZORDER BY day, borough) on the warm engine exactly as the maintenance
DAG does; runs the same queries on the same server again. Needs `make setup`.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
# Every Spark listener on loopback, as in the rest of the project.
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")

from bench.engine import engine  # noqa: E402
from jobs.settings import load_settings  # noqa: E402

BOROUGHS = ("Bronx", "Brooklyn", "Manhattan", "Queens", "Staten Island", "Unspecified")
THEMES = ("transport", "waste and sanitation", "public safety", "noise", "housing", "environment", "other")
QUERIES = {
    "city-wide trend, last 90 days": (
        "SELECT day, SUM(requests_opened) AS opened, SUM(requests_closed) AS closed "
        "FROM gold.service_requests_daily WHERE day > DATE'{last}' - INTERVAL 90 DAYS GROUP BY day ORDER BY day"
    ),
    "one borough, one month, by theme": (
        "SELECT theme, SUM(requests_opened) AS opened, AVG(median_hours_to_close) AS hours "
        "FROM gold.service_requests_daily WHERE borough = 'Brooklyn' AND day BETWEEN DATE'{month}' AND DATE'{month}' + INTERVAL 30 DAYS "
        "GROUP BY theme ORDER BY opened DESC"
    ),
    "backlog on the latest day": (
        "SELECT borough, SUM(still_open_end_of_day) AS backlog FROM gold.service_requests_daily "
        "WHERE day = DATE'{last}' GROUP BY borough ORDER BY backlog DESC"
    ),
    "year by borough": (
        "SELECT borough, year(day) AS year, SUM(requests_opened) AS opened FROM gold.service_requests_daily "
        "GROUP BY borough, year(day) ORDER BY borough, year"
    ),
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def build_gold(settings, days: int, files: int, first_day: date) -> int:
    """The gold table as many small files, in a short-lived local session; returns its row count."""
    from jobs.spark_config import build_session

    spark = build_session(load_settings(), "citylake-bench-gold")
    try:
        generator = random.Random(7)
        rows = [
            (first_day + timedelta(days=day), borough, theme, generator.randint(0, 400), generator.randint(0, 400),
             generator.uniform(0.5, 300.0), generator.randint(0, 5000))
            for day in range(days) for borough in BOROUGHS for theme in THEMES
        ]
        schema = ("day date, borough string, theme string, requests_opened long, requests_closed long, "
                  "median_hours_to_close double, still_open_end_of_day long")
        spark.createDataFrame(rows, schema).repartition(files).write.format("delta").save(settings.table_path("gold", "service_requests_daily"))
        return len(rows)
    finally:
        spark.stop()


def latencies(port: int, sql: str, repeat: int) -> list[float]:
    from pyhive import hive

    connection = hive.connect(host="127.0.0.1", port=port, username="bi")
    try:
        cursor = connection.cursor()
        cursor.execute(sql)
        cursor.fetchall()  # warm-up: the first query of a shape also plans and loads the snapshot
        timings = []
        for _ in range(repeat):
            started = time.perf_counter()
            cursor.execute(sql)
            cursor.fetchall()
            timings.append(time.perf_counter() - started)
        return timings
    finally:
        connection.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=1095)
    parser.add_argument("--files", type=int, default=1000, help="small files the table starts with")
    parser.add_argument("--repeat", type=int, default=20, help="timed runs of each query")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="citylake-bench-bi-"))
    first_day = date(2022, 1, 1)
    last_day = first_day + timedelta(days=args.days - 1)
    environment = {
        **os.environ, "CITYLAKE_STATE": str(scratch), "CITYLAKE_LAKE_ROOT": str(scratch / "lake"),
        "CITYLAKE_SPARK_MASTER": "local[2]", "CITYLAKE_BI_PORT": str(free_port()),
        "PATH": f"{PROJECT / '.venv' / 'bin'}:{os.environ['PATH']}",
    }
    settings = load_settings(environment)
    endpoint = [str(PROJECT / "infra" / "sql_endpoint.sh")]
    try:
        with engine(scratch / "engine"):
            rows = build_gold(settings, args.days, args.files, first_day)
            subprocess.run([*endpoint, "start"], env=environment, check=True, stdout=subprocess.DEVNULL)
            port = int(environment["CITYLAKE_BI_PORT"])
            queries = {name: sql.format(last=last_day, month=last_day.replace(day=1)) for name, sql in QUERIES.items()}
            before = {name: latencies(port, sql, args.repeat) for name, sql in queries.items()}
            started = time.perf_counter()
            from jobs import maintenance
            from jobs.spark_config import build_session

            session = build_session(load_settings(), "citylake-bench-maintenance")
            maintenance.main(["--table", "gold.service_requests_daily", "--logical-date", str(last_day), "--lake-root", settings.lake_root], session)
            session.stop()
            optimize_seconds = time.perf_counter() - started
            after = {name: latencies(port, sql, args.repeat) for name, sql in queries.items()}
    finally:
        subprocess.run([*endpoint, "stop"], env=environment, stdout=subprocess.DEVNULL)
        shutil.rmtree(scratch, ignore_errors=True)

    print(f"gold.service_requests_daily: {rows:,} rows, {args.files} files before OPTIMIZE; {args.repeat} timed runs per query")
    print(f"maintenance job (on the engine, OPTIMIZE ZORDER BY day, borough): {optimize_seconds:.1f} s")
    print(f"{'query':<36} {'p50 before':>10} {'p95 before':>10} {'p50 after':>10} {'p95 after':>10} {'p50 ratio':>10}")
    for name in queries:
        p50_before, p95_before = percentile(before[name], 0.5), percentile(before[name], 0.95)
        p50_after, p95_after = percentile(after[name], 0.5), percentile(after[name], 0.95)
        print(f"{name:<36} {p50_before:>9.3f}s {p95_before:>9.3f}s {p50_after:>9.3f}s {p95_after:>9.3f}s {p50_after / p50_before:>9.2f}x")
    all_before = [value for values in before.values() for value in values]
    all_after = [value for values in after.values() for value in values]
    print(f"{'all queries':<36} {statistics.median(all_before):>9.3f}s {percentile(all_before, 0.95):>9.3f}s "
          f"{statistics.median(all_after):>9.3f}s {percentile(all_after, 0.95):>9.3f}s "
          f"{statistics.median(all_after) / statistics.median(all_before):>9.2f}x")


if __name__ == "__main__":
    main()
