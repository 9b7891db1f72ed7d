"""End to end through a real Airflow: scheduler, DAG processor, API server, LocalExecutor, the warm engine.

The project's own scripts start Airflow on a free loopback port with its own state folder, the
`citylake backfill` command runs the social posts DAG over a generated day, and none of the posts'
personal data is anywhere outside the restricted zones: not in a task log, XCom, the metadata DB, a
report, Data Docs, the engine's logs or event log, nor in a silver, gold or audit table. Then the taxi
DAG backfills two generated days while its scheduler is killed (SIGKILL, the whole process group) and
started again, a rerun of the first day leaves every table as the backfill left it, and the Asset-triggered
`city_themes` DAG stacks both sources' gold. (The 311 DAG runs through the scheduler in
tests/test_cluster_and_bi.py, on the cluster, with its gold compared with the raw file.)
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time

import pytest

from jobs.settings import PROJECT_ROOT
from tests.conftest import free_port, make_settings, point_catalog_at
from tests.personal_data import clear_identifiers_of_posts
from tests.services import listening_addresses, processes_in, service_groups

pytestmark = pytest.mark.e2e

AIRFLOW_SCRIPT = PROJECT_ROOT / "infra" / "airflow.sh"
DAY = "2022-05-01"
POSTS = 600
# Where clear personal data may be (declared restricted): the inbox, landing, bronze, quarantine, staging.
RESTRICTED = {"inbox", "landing", "bronze", "quarantine", "staging"}
TAXI_DAYS = ("2022-05-01", "2022-05-02")


@pytest.fixture(scope="module")
def airflow(tmp_path_factory):
    state = tmp_path_factory.mktemp("citylake-state")
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("AIRFLOW", "CITYLAKE_"))
    }
    environment.update(
        CITYLAKE_STATE=str(state),
        CITYLAKE_AIRFLOW_PORT=str(free_port()),
        CITYLAKE_SPARK_CONNECT_PORT=str(free_port()),
        CITYLAKE_RETRY_DELAY_SECONDS="5",
        # How soon a new scheduler resets the tasks a killed one left running (infra/env.sh says 60 s).
        AIRFLOW__SCHEDULER__ORPHANED_TASKS_CHECK_INTERVAL="20",
        # Spark's event log on, so that the secrets test searches the plans the engine ran too.
        CITYLAKE_SPARK_EVENT_LOG_DIR=str(state / "spark-events"),
        PATH=f"{PROJECT_ROOT / '.venv' / 'bin'}:{os.environ['PATH']}",
    )
    (state / "spark-events").mkdir()
    # One generated day of posts (twarc2's shape, with defects): people's ids, handles, names, e-mail
    # addresses, phone numbers and coordinates, as the platform delivers them.
    generate = {**environment, "CITYLAKE_INBOX_ROOT": str(state / "inbox")}
    subprocess.run(["citylake", "generate", "social_posts", DAY, DAY, "--rows", str(POSTS), "--seed", "7"], env=generate, check=True, timeout=120)
    # Two generated taxi days with defects; day 2 also brings late trips of day 1.
    subprocess.run(["citylake", "generate", "nyc_tlc_yellow", *TAXI_DAYS, "--rows", "1500"], env=generate, check=True, timeout=120)
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


def citylake_command(environment: dict, *arguments: str) -> list[str]:
    """The `citylake` command line, pointed at this installation's Airflow API."""
    return ["citylake", *arguments, "--api", f"http://127.0.0.1:{environment['CITYLAKE_AIRFLOW_PORT']}"]


def citylake(environment: dict, *arguments: str) -> subprocess.CompletedProcess:
    result = subprocess.run(citylake_command(environment, *arguments), env=environment, capture_output=True, text=True, timeout=1500)
    print(result.stdout)
    return result


def test_the_social_dag_runs_through_the_scheduler_and_the_posts_personal_data_stays_in_the_restricted_zones(airflow, spark):
    state, environment = airflow
    result = subprocess.run(
        citylake_command(environment, "backfill", "social_posts_daily", DAY, DAY, "--timeout", "900"),
        env=environment, capture_output=True, text=True, timeout=1000,
    )
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "success 1" in result.stdout

    point_catalog_at(spark, make_settings(state))
    (check,) = spark.table("audit.reconciliation").where("source = 'social_posts'").collect()
    assert (check.manifest_rows, check.published_rows + check.quarantined_rows, check.balanced) == (POSTS, POSTS, True)
    # The job wrote the run's quality report and its Data Docs.
    assert (state / "reports" / "quality" / "index.html").is_file()
    assert len(list((state / "reports" / "data_docs").glob("*/index.html"))) == 1

    delivered = [line for path in (state / "inbox" / "social_posts").rglob("*.jsonl") for line in path.read_text(encoding="utf-8").splitlines()]
    identifiers = clear_identifiers_of_posts(delivered)
    assert len(identifiers) > 300
    # Every file of the installation outside the restricted zones, as bytes (Parquet data files, compressed,
    # are read through Spark below instead): task logs, the metadata DB (XCom, rendered arguments), reports,
    # Data Docs, Delta logs (their per-file statistics), the engine's log and event log.
    files = [path for path in state.rglob("*") if path.is_file() and not RESTRICTED & set(path.relative_to(state).parts) and path.suffix != ".parquet"]
    assert any("dag_id=social_posts_daily" in str(path) for path in files) and any(path.name == "airflow.db" for path in files)
    for path in files:
        data = path.read_bytes()
        leaked = sorted(value for value in identifiers if value.encode() in data)
        assert not leaked, f"{path} holds {leaked[:5]}"
    for name in ("silver.social_posts", "gold.public_opinion_daily", "audit.dq_results", "audit.publications", "audit.reconciliation"):
        cells = "\n".join(str(value) for row in spark.table(name).collect() for value in row)
        leaked = sorted(value for value in identifiers if value in cells)
        assert not leaked, f"{name} holds {leaked[:5]}"


def snapshot(spark, names: list[str]) -> dict[str, list[dict]]:
    """Every row of each table, in a stable order (ingestion timestamps aside, which bronze does not rewrite)."""
    return {name: sorted((sorted(row.asDict().items()) for row in spark.table(name).collect()), key=repr) for name in names}


def task_instance(state, dag_id: str, task_id: str, day: str) -> tuple[str | None, int]:
    """A task instance's state and try number for the run of ``day``, from the metadata DB."""
    with sqlite3.connect(state / "airflow" / "airflow.db", timeout=30) as db:
        found = db.execute(
            "SELECT ti.state, ti.try_number FROM task_instance ti JOIN dag_run run ON ti.dag_id = run.dag_id AND ti.run_id = run.run_id"
            " WHERE ti.dag_id = ? AND ti.task_id = ? AND date(run.logical_date) = ?", (dag_id, task_id, day),
        ).fetchone()
    return found or (None, 0)


def test_a_taxi_backfill_survives_its_scheduler_killed_and_a_rerun_of_one_day_leaves_identical_tables_and_city_themes_follow(airflow, spark):
    state, environment = airflow
    backfill = subprocess.Popen(
        citylake_command(environment, "backfill", "taxi_daily", *TAXI_DAYS, "--timeout", "1200"),
        env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    # Day 1's Spark task under way, then the scheduler dies with its executor's workers (a crash, not a stop).
    deadline = time.monotonic() + 600
    while task_instance(state, "taxi_daily", "bronze_to_gold", TAXI_DAYS[0])[0] != "running":
        assert backfill.poll() is None and time.monotonic() < deadline, "day 1's bronze_to_gold never ran"
        time.sleep(1)
    time.sleep(5)
    os.killpg(int((state / "airflow" / "run" / "scheduler.pid").read_text()), signal.SIGKILL)
    # The operator starts Airflow again: the script starts what is missing (the scheduler).
    restarted = subprocess.run([str(AIRFLOW_SCRIPT), "start"], env=environment, capture_output=True, text=True, timeout=300)
    assert restarted.returncode == 0 and "scheduler: started" in restarted.stdout, restarted.stdout + restarted.stderr
    output, _ = backfill.communicate(timeout=1500)
    print(output)
    assert backfill.returncode == 0 and "success 2" in output, output
    # The killed try was left running by the dead scheduler; the new one reset it and it ran again.
    assert task_instance(state, "taxi_daily", "bronze_to_gold", TAXI_DAYS[0]) == ("success", 2)
    point_catalog_at(spark, make_settings(state))
    tables = ["bronze.tlc_yellow_trips", "silver.taxi_trips", "quarantine.taxi_trips", "gold.mobility_daily"]
    after_backfill = snapshot(spark, tables)
    assert all(after_backfill.values())

    # From now on city_themes follows the gold Assets (unpaused only now: one Spark application less per run).
    assert citylake(environment, "unpause", "city_themes").returncode == 0
    rerun = citylake(environment, "backfill", "taxi_daily", TAXI_DAYS[0], TAXI_DAYS[0], "--timeout", "900")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    point_catalog_at(spark, make_settings(state))
    assert snapshot(spark, tables) == after_backfill
    # Every run's files reconciled; the rerun added its own audit rows for the same batch.
    checks = spark.table("audit.reconciliation").where("source = 'nyc_tlc_yellow'").collect()
    assert checks and all(check.balanced for check in checks)

    settled = citylake(environment, "wait", "city_themes", "--timeout", "900")
    assert settled.returncode == 0, settled.stdout + settled.stderr
    point_catalog_at(spark, make_settings(state))
    themes = {(row.source, row.measure): row.total for row in spark.sql("SELECT source, measure, sum(value) AS total FROM gold.city_themes GROUP BY 1, 2").collect()}
    assert themes[("nyc_tlc_yellow", "taxi_trips")] == spark.table("gold.mobility_daily").groupBy().sum("trips").first()[0]
    published_posts = spark.table("gold.public_opinion_daily").groupBy().sum("posts").first()[0]
    assert published_posts and themes[("social_posts", "opinion_posts")] == published_posts


def test_no_secret_reaches_a_task_log_xcom_the_metadata_db_a_report_or_the_engine(airflow):
    """Run last, after every DAG run above: the installation's secrets are nowhere but in their own file.

    The secrets in play are those `infra/env.sh` generated (Airflow's JWT signing key and API secret key, the
    pseudonymisation key); searched for, as text, in every file of the installation's state: task logs, the
    metadata DB (XCom, rendered templates, serialized DAGs), the lake, the reports and Data Docs, the engine's
    log and its Spark event log.
    """
    state, _ = airflow
    secrets_file = state / "airflow" / "secrets.env"
    secrets = dict(line.removeprefix("export ").split("=", 1) for line in secrets_file.read_text().splitlines() if line.startswith("export "))
    assert set(secrets) == {"AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__API__SECRET_KEY", "CITYLAKE_PSEUDONYM_KEY"}
    searched = [path for path in state.rglob("*") if path.is_file() and path != secrets_file]
    for path in searched:
        data = path.read_bytes()
        for name, value in secrets.items():
            assert value.encode() not in data, f"{name} is in {path}"
    # Not vacuous: the search covered the task logs of the runs above, their XComs, reports and Spark's event log.
    kinds = {
        "task logs": [path for path in searched if "logs" in path.parts and "dag_id=social_posts_daily" in str(path)],
        "metadata DB": [path for path in searched if path.name == "airflow.db"],
        "reports": [path for path in searched if path.suffix == ".html"],
        "event log": [path for path in searched if "spark-events" in path.parts],
    }
    assert all(kinds.values()), {kind: len(paths) for kind, paths in kinds.items()}
    with sqlite3.connect(kinds["metadata DB"][0]) as db:
        assert db.execute("SELECT count(*) FROM xcom").fetchone()[0] > 0
