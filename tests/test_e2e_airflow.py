"""End to end through a real Airflow: scheduler, DAG processor, API server, LocalExecutor, spark-submit.

The project's own scripts start Airflow on a free loopback port with its own state folder, the
`citylake backfill` command runs the 311 DAG over the sample's day, and the gold table is compared
with figures computed independently from the raw CSV with pandas.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import psutil
import pytest

from jobs.settings import PROJECT_ROOT
from tests.conftest import SAMPLE_311, free_port, make_settings, point_catalog_at
from tests.expected_gold import assert_gold_matches_raw_csv

pytestmark = pytest.mark.e2e

AIRFLOW_SCRIPT = PROJECT_ROOT / "infra" / "airflow.sh"
DAY = "2022-05-01"


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
    assert_gold_matches_raw_csv(spark.table("gold.service_requests_daily"), SAMPLE_311)

    check = spark.table("audit.reconciliation").first()
    assert (check.manifest_rows, check.published_rows + check.quarantined_rows, check.balanced) == (924, 924, True)
