"""End to end through a real Airflow: scheduler, DAG processor, API server, LocalExecutor, spark-submit.

The project's own scripts start Airflow on a free loopback port with its own state folder, the
`citylake backfill` command runs the 311 DAG over the sample's day, and the gold table is compared
with figures computed independently from the raw CSV with pandas.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import socket
import subprocess
from pathlib import Path

import pandas as pd
import psutil
import pytest

from jobs.settings import PROJECT_ROOT
from tests.conftest import SAMPLE_311, make_settings, point_catalog_at

pytestmark = pytest.mark.e2e

AIRFLOW_SCRIPT = PROJECT_ROOT / "infra" / "airflow.sh"
DAY = "2022-05-01"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def component_processes(state: Path) -> list[psutil.Process]:
    """Every live process of the Airflow started under ``state`` (found through its pid files' groups)."""
    processes = []
    for pid_file in (state / "airflow" / "run").glob("*.pid"):
        group = int(pid_file.read_text())
        processes += [process for process in psutil.process_iter() if _group_of(process) == group]
    return processes


def _group_of(process: psutil.Process) -> int | None:
    try:
        return os.getpgid(process.pid)
    except (ProcessLookupError, psutil.Error):
        return None


@pytest.fixture(scope="module")
def airflow(tmp_path_factory):
    state = tmp_path_factory.mktemp("citylake-state")
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("AIRFLOW", "CITYLAKE_"))
    }
    environment.update(
        CITYLAKE_STATE=str(state),
        CITYLAKE_AIRFLOW_PORT=str(free_port()),
        CITYLAKE_RETRY_DELAY_SECONDS="5",
        PATH=f"{PROJECT_ROOT / '.venv' / 'bin'}:{os.environ['PATH']}",
    )
    inbox = state / "inbox" / "nyc_311" / DAY
    inbox.mkdir(parents=True)
    shutil.copyfile(SAMPLE_311, inbox / SAMPLE_311.name)
    subprocess.run([str(AIRFLOW_SCRIPT), "start"], env=environment, check=True, timeout=300)
    try:
        yield state, environment
    finally:
        groups = [int(path.read_text()) for path in (state / "airflow" / "run").glob("*.pid")]
        subprocess.run([str(AIRFLOW_SCRIPT), "stop"], env=environment, check=True, timeout=180)
        leftovers = [process for process in psutil.process_iter() if _group_of(process) in groups]
        assert not leftovers, f"processes left running after stop: {leftovers}"


def test_airflow_listens_on_loopback_only(airflow):
    state, _ = airflow
    addresses = set()
    for process in component_processes(state):
        try:
            addresses |= {connection.laddr.ip for connection in process.net_connections(kind="inet") if connection.status == psutil.CONN_LISTEN}
        except psutil.Error:
            continue
    assert addresses == {"127.0.0.1"}


def test_the_311_dag_runs_through_the_scheduler_and_gold_matches_the_raw_file(airflow, spark):
    state, environment = airflow
    port = environment["CITYLAKE_AIRFLOW_PORT"]
    result = subprocess.run(
        ["citylake", "backfill", "nyc311_daily", DAY, DAY, "--timeout", "900", "--api", f"http://127.0.0.1:{port}"],
        env=environment, capture_output=True, text=True, timeout=1000,
    )
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "success 1" in result.stdout

    point_catalog_at(spark, make_settings(state))
    gold = spark.table("gold.service_requests_daily").toPandas()
    expected = expected_gold_from_raw_csv(SAMPLE_311)
    got = gold.assign(day=gold["day"].astype(str)).set_index(["day", "borough", "theme"]).sort_index()
    assert list(got.index) == list(expected.index)
    for column in ("requests_opened", "requests_closed", "still_open_end_of_day"):
        assert got[column].tolist() == expected[column].tolist(), column
    pd.testing.assert_series_equal(got["median_hours_to_close"], expected["median_hours_to_close"], check_dtype=False, rtol=1e-9)

    check = spark.table("audit.reconciliation").first()
    assert (check.manifest_rows, check.published_rows + check.quarantined_rows, check.balanced) == (924, 924, True)


def expected_gold_from_raw_csv(path: Path) -> pd.DataFrame:
    """The gold figures recomputed with pandas from the CSV, sharing no code with the Spark job."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    fmt = "%m/%d/%Y %I:%M:%S %p"
    created = pd.to_datetime(raw["Created Date"], format=fmt)
    closed = pd.to_datetime(raw["Closed Date"].replace("", None), format=fmt)
    boroughs = {"MANHATTAN": "Manhattan", "BROOKLYN": "Brooklyn", "QUEENS": "Queens", "BRONX": "Bronx", "STATEN ISLAND": "Staten Island"}
    themes = pd.read_csv(PROJECT_ROOT / "jobs" / "reference" / "city_themes.csv")
    themes = themes[themes["source"] == "nyc_311"]

    def theme_of(complaint: str) -> str:
        for pattern, theme in zip(themes["category_pattern"], themes["theme"]):
            if fnmatch.fnmatchcase(complaint, pattern.replace("%", "*")):
                return theme
        return "other"

    frame = pd.DataFrame(
        {
            "borough": raw["Borough"].str.upper().map(boroughs).fillna("Unspecified"),
            "theme": raw["Complaint Type"].map(theme_of),
            "created_day": created.dt.date.astype(str),
            "closed_day": closed.dt.date.astype(str).where(closed.notna()),
            # Hours between the two instants: both are New York wall-clock times.
            "hours": (closed.dt.tz_localize("America/New_York") - created.dt.tz_localize("America/New_York")).dt.total_seconds() / 3600,
        }
    )
    days = sorted(set(frame["created_day"]) | set(frame["closed_day"].dropna()))
    rows = []
    for (borough, theme), group in frame.groupby(["borough", "theme"]):
        for day in days:
            closed_today = group[group["closed_day"] == day]
            row = {
                "day": day,
                "borough": borough,
                "theme": theme,
                "requests_opened": int((group["created_day"] == day).sum()),
                "requests_closed": len(closed_today),
                "median_hours_to_close": closed_today["hours"].median() if len(closed_today) else None,
                "still_open_end_of_day": int(((group["created_day"] <= day) & ~(group["closed_day"] <= day).fillna(False)).sum()),
            }
            if row["requests_opened"] or row["requests_closed"] or row["still_open_end_of_day"]:
                rows.append(row)
    return pd.DataFrame(rows).set_index(["day", "borough", "theme"]).sort_index()
