"""End to end through a real Airflow: scheduler, DAG processor, API server, LocalExecutor, spark-submit.

The project's own scripts start Airflow on a free loopback port with its own state folder, the
`citylake backfill` command runs the 311 DAG over the sample's day, and the gold table is compared
with figures computed independently from the raw CSV with pandas.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from jobs.settings import PROJECT_ROOT
from tests.conftest import SAMPLE_311, free_port, make_settings, point_catalog_at
from tests.expected_gold import assert_gold_matches_raw_csv
from tests.services import listening_addresses, processes_in, service_groups

pytestmark = pytest.mark.e2e

AIRFLOW_SCRIPT = PROJECT_ROOT / "infra" / "airflow.sh"
DAY = "2022-05-01"


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
        groups = service_groups(state)
        subprocess.run([str(AIRFLOW_SCRIPT), "stop"], env=environment, check=True, timeout=180)
        assert not processes_in(groups), f"processes left running after stop: {processes_in(groups)}"


def test_airflow_listens_on_loopback_only(airflow):
    state, _ = airflow
    assert listening_addresses(service_groups(state)) == {"127.0.0.1"}


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

    # The job shipped as build/jobs.zip wrote the run's quality report and its Data Docs.
    assert (state / "reports" / "quality" / "index.html").is_file()
    assert len(list((state / "reports" / "data_docs").glob("*/index.html"))) == 1
