"""Scale-out and BI serving, all started by the project's own scripts: SeaweedFS (the lake on S3), a
Spark standalone cluster (master and worker), Airflow pointed at that cluster, and the SQL endpoint
(Spark Thrift Server) queried with beeline and with SQLAlchemy/PyHive like a dashboard would.

The endpoint starts before any table exists: after the first DAG run it serves the new gold table,
after the second the new day, without a restart. Its figures are compared with pandas on the raw files.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

from jobs.settings import PROJECT_ROOT
from tests.conftest import S3_BUCKET, SAMPLE_311, free_port
from tests.expected_gold import assert_gold_rows_match_raw_csv
from tests.services import listening_addresses, processes_in, service_groups

pytestmark = pytest.mark.e2e

INFRA = PROJECT_ROOT / "infra"
DAYS = ("2022-05-01", "2022-05-02")
DASHBOARD_QUERY = (
    "SELECT day, borough, theme, requests_opened, requests_closed, median_hours_to_close, still_open_end_of_day "
    "FROM gold.service_requests_daily"
)


def next_day_delivery(path: Path) -> Path:
    """The sample moved one day later with new keys: a second, different delivery for the next day."""
    raw = pd.read_csv(SAMPLE_311, dtype=str, keep_default_na=False)
    fmt = "%m/%d/%Y %I:%M:%S %p"
    for column in ("Created Date", "Closed Date"):
        shifted = pd.to_datetime(raw[column].replace("", None), format=fmt) + pd.Timedelta(days=1)
        raw[column] = shifted.dt.strftime(fmt).fillna("")
    raw["Unique Key"] = (raw["Unique Key"].astype(int) + 100_000_000).astype(str)
    raw.to_csv(path, index=False)
    return path


def run_script(script: str, action: str, environment: dict, timeout: float = 300) -> None:
    subprocess.run([str(INFRA / script), action], env=environment, check=True, timeout=timeout)


def backfill(environment: dict, day: str) -> None:
    result = subprocess.run(
        ["citylake", "backfill", "nyc311_daily", day, day, "--timeout", "1200",
         "--api", f"http://127.0.0.1:{environment['CITYLAKE_AIRFLOW_PORT']}"],
        env=environment, capture_output=True, text=True, timeout=1300,
    )
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr


def query(environment: dict, sql: str) -> pd.DataFrame:
    """A dashboard's query through SQLAlchemy and PyHive (the HiveServer2 protocol)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(f"hive://bi@127.0.0.1:{environment['CITYLAKE_BI_PORT']}/gold")
    try:
        with engine.connect() as connection:
            result = connection.execute(text(sql))
            return pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    finally:
        engine.dispose()


def beeline(environment: dict, sql: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["beeline", "-u", f"jdbc:hive2://127.0.0.1:{environment['CITYLAKE_BI_PORT']}/gold", "-n", "bi",
         "--silent=true", "--outputformat=csv2", "-e", sql],
        env=environment, capture_output=True, text=True, timeout=120,
    )


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = condition()
            if value is not None and value is not False:
                return value
        except Exception as error:  # the endpoint may not serve the table yet
            last = error
        else:
            last = None
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not true after {timeout} s (last error: {last})")
        time.sleep(3)


@pytest.fixture(scope="module")
def stack(s3, tmp_path_factory):
    """SeaweedFS (from the s3 fixture), the cluster, the SQL endpoint and Airflow on the cluster."""
    state = tmp_path_factory.mktemp("citylake-cluster-state")
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("AIRFLOW", "CITYLAKE_"))}
    cluster_port = free_port()
    environment.update(
        CITYLAKE_STATE=str(state),
        CITYLAKE_LAKE_ROOT=f"s3a://{S3_BUCKET}/cluster-lake",
        CITYLAKE_SPARK_CLUSTER_PORT=str(cluster_port),
        CITYLAKE_SPARK_MASTER_UI_PORT=str(free_port()),
        CITYLAKE_SPARK_WORKER_UI_PORT=str(free_port()),
        CITYLAKE_SPARK_MASTER=f"spark://127.0.0.1:{cluster_port}",
        CITYLAKE_SHUFFLE_PARTITIONS="2",
        CITYLAKE_AIRFLOW_PORT=str(free_port()),
        CITYLAKE_SPARK_CONNECT_PORT=str(free_port()),
        CITYLAKE_BI_PORT=str(free_port()),
        CITYLAKE_BI_REFRESH_SECONDS="3",
        CITYLAKE_RETRY_DELAY_SECONDS="5",
        PATH=f"{PROJECT_ROOT / '.venv' / 'bin'}:{os.environ['PATH']}",
    )
    inbox = state / "inbox" / "nyc_311"
    (inbox / DAYS[0]).mkdir(parents=True)
    (inbox / DAYS[0] / SAMPLE_311.name).write_bytes(SAMPLE_311.read_bytes())
    (inbox / DAYS[1]).mkdir()
    next_day_delivery(inbox / DAYS[1] / "nyc311_2022-05-02_shifted.csv")

    started = []
    # The endpoint runs in-process (local master): on a one-worker cluster it would hold the cores
    # the DAG's application needs.
    services = [
        ("spark_cluster.sh", environment),
        ("sql_endpoint.sh", {**environment, "CITYLAKE_SPARK_MASTER": "local[1]"}),
        ("airflow.sh", environment),
    ]
    try:
        for script, script_environment in services:
            run_script(script, "start", script_environment)
            started.append((script, script_environment))
        yield state, environment
    finally:
        groups = service_groups(state)
        for script, script_environment in reversed(started):
            run_script(script, "stop", script_environment, timeout=180)
        assert not processes_in(groups), f"processes left running after stop: {processes_in(groups)}"


@pytest.fixture(scope="module")
def gold_after_each_run(stack, tmp_path_factory):
    """Gold as BI sees it after the first and after the second day's DAG run (one server, no restart)."""
    state, environment = stack
    backfill(environment, DAYS[0])
    # The endpoint started before the table existed: it registers it within its refresh interval.
    after_first = wait_for(lambda: query(environment, DASHBOARD_QUERY), 60, "gold.service_requests_daily served")
    backfill(environment, DAYS[1])
    after_second = query(environment, DASHBOARD_QUERY)
    both_days = tmp_path_factory.mktemp("raw") / "both_days.csv"
    second_delivery = next(Path(state, "inbox", "nyc_311", DAYS[1]).glob("*.csv"))
    pd.concat([pd.read_csv(path, dtype=str, keep_default_na=False) for path in (SAMPLE_311, second_delivery)]).to_csv(both_days, index=False)
    return after_first, after_second, both_days


def test_the_311_dag_runs_on_the_cluster_with_the_lake_on_s3_and_bi_sees_each_run(stack, gold_after_each_run):
    _, environment = stack
    after_first, after_second, both_days = gold_after_each_run
    assert_gold_rows_match_raw_csv(after_first, SAMPLE_311)
    assert_gold_rows_match_raw_csv(after_second, both_days)

    # Both DAG runs' work ran on the standalone cluster: the engine they reach is an application there.
    master_ui = f"http://127.0.0.1:{environment['CITYLAKE_SPARK_MASTER_UI_PORT']}/json/"
    with urllib.request.urlopen(master_ui, timeout=10) as response:
        applications = [app["name"] for app in json.load(response)["activeapps"]]
    assert applications == ["citylake-engine"]

    # The audit zone is served too: one balanced reconciliation per delivery.
    checks = query(environment, "SELECT source_file, manifest_rows, published_rows + quarantined_rows AS accounted, balanced FROM audit.reconciliation ORDER BY source_file")
    assert checks["manifest_rows"].tolist() == [924, 924] and checks["accounted"].tolist() == [924, 924]
    assert checks["balanced"].all()


def test_beeline_runs_a_dashboard_aggregate(stack, gold_after_each_run):
    _, environment = stack
    result = beeline(environment, "SELECT borough, SUM(requests_opened) AS opened FROM gold.service_requests_daily WHERE day = DATE'2022-05-01' GROUP BY borough ORDER BY borough")
    assert result.returncode == 0, result.stderr
    expected = pd.read_csv(SAMPLE_311, dtype=str, keep_default_na=False)
    opened = expected.groupby(expected["Borough"].str.title()).size().to_dict()
    rows = [line.split(",") for line in result.stdout.splitlines() if re.fullmatch(r"[A-Za-z ]+,\d+", line)]
    assert {borough: int(count) for borough, count in rows} == opened


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT COUNT(*) FROM bronze.nyc311_service_requests",
        "SELECT COUNT(*) FROM quarantine.service_requests",
        "SELECT COUNT(*) FROM silver.service_requests",
        "SELECT COUNT(*) FROM delta.`s3a://citylake-test/cluster-lake/bronze/nyc311_service_requests`",
        "SELECT COUNT(*) FROM parquet.`s3a://citylake-test/cluster-lake/landing`",
    ],
)
def test_restricted_zones_are_not_found_by_the_bi_user(stack, gold_after_each_run, sql):
    _, environment = stack
    result = beeline(environment, sql)
    assert result.returncode != 0
    assert "TABLE_OR_VIEW_NOT_FOUND" in result.stdout + result.stderr


def test_every_service_listens_on_loopback_only(stack):
    state, _ = stack
    addresses = listening_addresses(service_groups(state))
    assert addresses and addresses <= {"127.0.0.1", "::ffff:127.0.0.1"}
