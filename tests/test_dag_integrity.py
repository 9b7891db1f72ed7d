"""DAG integrity: the expected DAGs load with no import error and follow the house policy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from jobs.settings import PROJECT_ROOT

DAGS_FOLDER = PROJECT_ROOT / "dags"
EXPECTED_DAG_IDS = {
    "nyc311_daily", "taxi_daily", "waste_monthly", "crimes_daily", "social_posts_daily", "payments_daily", "accounts_daily", "sanctions_list_daily", "consent_daily",
    "city_themes", "city_issue_priority", "sanctions_screening", "account_risk", "lake_maintenance", "erasure",
}
SOURCE_DAGS = {
    "nyc311_daily": "gold.service_requests_daily",
    "taxi_daily": "gold.mobility_daily",
    "waste_monthly": "gold.waste_diversion_monthly",
    "crimes_daily": "gold.incident_hotspots_weekly",
    "social_posts_daily": "gold.public_opinion_daily",
    "payments_daily": "gold.aml_alerts",
    "accounts_daily": None,  # its silver feeds products only
}
# Parsing the whole folder in a fresh interpreter, Airflow's import included, must stay cheap.
MAX_PARSE_SECONDS = 10.0


@pytest.fixture(scope="module")
def dagbag(tmp_path_factory):
    os.environ.setdefault("AIRFLOW_HOME", str(tmp_path_factory.mktemp("airflow-home")))
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_FOLDER))


def test_the_dag_folder_imports_without_errors(dagbag):
    assert dagbag.import_errors == {}


def test_exactly_the_expected_dags_exist(dagbag):
    assert set(dagbag.dag_ids) == EXPECTED_DAG_IDS


@pytest.mark.parametrize("dag_id", sorted(EXPECTED_DAG_IDS))
def test_every_dag_follows_the_policy(dagbag, dag_id):
    dag = dagbag.dags[dag_id]
    assert dag.doc_md and "When it fails" in dag.doc_md
    assert dag.tags
    for task in dag.tasks:
        assert task.owner == "citylake-data-eng", task.task_id
        assert task.retries >= 1, task.task_id
        assert task.on_failure_callback, task.task_id


def test_spark_tasks_run_on_the_engine_and_take_the_logical_date_from_the_template(dagbag):
    task = dagbag.dags["nyc311_daily"].get_task("bronze_to_gold")
    assert task.conn_id == "spark_connect"
    assert "{{ ds }}" in task.op_args
    assert task.python_callable.__name__ == "run_job"


@pytest.mark.parametrize("dag_id", sorted(SOURCE_DAGS))
def test_every_source_dag_lands_then_runs_one_spark_job_that_emits_its_tables_assets(dagbag, dag_id):
    from jobs.declarations import registry

    dag = dagbag.dags[dag_id]
    ingestion = next(ingestion for ingestion in registry().ingestions.values() if ingestion.dag_id == dag_id)
    assert [task.task_id for task in dag.topological_sort()] == ["land", "bronze_to_gold"]
    # Bronze too: a product may read it in the restricted zone (sanctions screening reads the holders' names).
    expected = [ingestion.bronze, ingestion.silver, *([SOURCE_DAGS[dag_id]] if SOURCE_DAGS[dag_id] else [])]
    assert [outlet.name for outlet in dag.get_task("bronze_to_gold").outlets] == expected
    assert dag.max_active_runs == 1


def test_the_sanctions_list_lands_then_publishes_and_screening_runs_on_the_accounts_or_the_list_changing(dagbag):
    snapshot = dagbag.dags["sanctions_list_daily"]
    assert [task.task_id for task in snapshot.topological_sort()] == ["land", "publish_list"]
    assert [outlet.name for outlet in snapshot.get_task("publish_list").outlets] == ["silver.sanctions_entries"]
    assert snapshot.max_active_runs == 1
    schedule = dagbag.dags["sanctions_screening"].timetable.asset_condition
    assert {asset.name for asset in schedule.objects} == {"bronze.bank_accounts", "silver.sanctions_entries"}


def test_city_themes_is_scheduled_on_every_gold_table_it_stacks(dagbag):
    from jobs.city_themes.job import CONTRIBUTIONS

    stacked = {contribution.table for contribution in CONTRIBUTIONS}
    schedule = dagbag.dags["city_themes"].timetable.asset_condition
    # Every city and social source's gold; AML alerts measure no city service.
    assert {asset.name for asset in schedule.objects} == stacked == set(SOURCE_DAGS.values()) - {"gold.aml_alerts", None}


def test_every_declared_source_and_product_has_its_dag_and_every_dag_is_declared(dagbag):
    from jobs.declarations import registry

    declared = {pipeline.dag_id: pipeline for pipeline in registry().pipelines}
    assert set(declared) | {"lake_maintenance", "erasure"} == EXPECTED_DAG_IDS == set(dagbag.dag_ids)
    for dag_id, pipeline in declared.items():
        dag = dagbag.dags[dag_id]
        assert dag.doc_md == registry().doc(pipeline)
        assert {task.owner for task in dag.tasks} == {pipeline.owner}
        spark_task = dag.topological_sort()[-1]
        assert spark_task.op_args[0] == pipeline.job
        assert {outlet.name for outlet in spark_task.outlets} == set((pipeline.bronze, pipeline.silver, *pipeline.gold) if hasattr(pipeline, "gold") else pipeline.outputs)


def test_maintenance_optimizes_every_clustered_table_and_expires_every_retained_one_in_its_writers_pool(dagbag):
    from jobs.declarations import registry
    from jobs.maintenance import clustered_tables

    pools = registry().pools()
    maintenance = dagbag.dags["lake_maintenance"]

    def tasks(action: str) -> dict:
        chosen = [task for task in maintenance.tasks if task.task_id.startswith(f"{action}_")]
        return {task.op_args[task.op_args.index("--table") + 1]: task for task in chosen}

    assert len(tasks("optimize")) + len(tasks("retain")) == len(maintenance.tasks)
    assert set(tasks("optimize")) == set(clustered_tables())
    assert set(tasks("retain")) == {table.name for table in registry().retained()}
    writer = dagbag.dags["nyc311_daily"].get_task("bronze_to_gold")
    assert tasks("optimize")["gold.service_requests_daily"].pool == writer.pool == "nyc311_writes"
    assert tasks("retain")["bronze.nyc311_service_requests"].pool == writer.pool
    assert tasks("retain")["quarantine.service_requests"].pool == writer.pool
    assert pools[writer.pool]["slots"] == 1
    assert "--expectations-dir" not in tasks("optimize")["gold.service_requests_daily"].op_args
    retain = tasks("retain")["bronze.social_posts"].op_args
    assert retain[retain.index("--action") + 1] == "retain" and retain[retain.index("--as-of") + 1] == "{{ data_interval_end | ds }}"


def test_parsing_the_dag_folder_is_fast_and_imports_no_heavy_library():
    code = (
        "import sys, time; start = time.perf_counter();"
        "from airflow.dag_processing.dagbag import DagBag;"
        f"bag = DagBag(dag_folder={str(DAGS_FOLDER)!r});"
        "assert not bag.import_errors, bag.import_errors;"
        "print(time.perf_counter() - start);"
        "heavy = [m for m in ('pyspark', 'great_expectations', 'delta', 'boto3', 'pandas') if m in sys.modules];"
        "assert not heavy, heavy"
    )
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, "AIRFLOW__CORE__LOAD_EXAMPLES": "False"})
    assert result.returncode == 0, result.stderr[-3000:]
    parse_seconds = float(result.stdout.strip().splitlines()[-1])
    print(f"DAG folder parsed in {parse_seconds:.2f} s ({time.perf_counter() - started:.2f} s with interpreter start)")
    assert parse_seconds < MAX_PARSE_SECONDS
