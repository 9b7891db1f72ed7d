"""The audit trail on real Delta tables: a run's rows are written once per audit table, also when it fails."""

from __future__ import annotations

import threading

import pytest

from jobs import audit, lake
from jobs.audit import Reconciliation, RunContext
from jobs.quality import ExpectationResult

RUN = RunContext("scheduled__2022-05-02", "test_dag", "process", "2022-05-02")


def result(expectation: str, success: bool = True) -> ExpectationResult:
    return ExpectationResult("suite.json", expectation, "day", "critical", success, "0", 0, 0.0, None)


def versions(spark, settings, table: str) -> int:
    return lake.latest_version(spark, settings, "audit", table) if lake.table_exists(spark, settings, "audit", table) else -1


def rows(spark, settings, table: str) -> list:
    return lake.read_table(spark, settings, "audit", table).orderBy("batch_id").collect()


def record_a_run(spark, settings, run: RunContext, batches=("b1", "b2")) -> None:
    for batch in batches:
        audit.record_quality(spark, settings, run, "silver.t", batch, 3, [result("a"), result("b")])
        audit.record_quality(spark, settings, run, "gold.t", batch, 4, [result("c")])
        audit.record_publication(spark, settings, run, "silver.t", batch, 3, 10, ["f.csv"])
        audit.record_reconciliation(spark, settings, run, Reconciliation("src", batch, f"{batch}.csv", 10, 10, 9, 1))


def write_modes(spark, settings, table: str) -> list[str]:
    """How each commit of ``audit.<table>`` wrote, oldest first: Append, or Overwrite (a ``replaceWhere``)."""
    history = spark.sql(f"DESCRIBE HISTORY delta.`{settings.table_path('audit', table)}`").orderBy("version").collect()
    return [entry["operationParameters"]["mode"] for entry in history]


def test_a_run_writes_each_audit_table_once_and_a_rerun_replaces_its_rows(spark, settings):
    with audit.recording(spark, settings, RUN):
        record_a_run(spark, settings, RUN)
        assert not lake.table_exists(spark, settings, "audit", "dq_results")  # kept until the run ends
    assert [versions(spark, settings, table) for table in ("dq_results", "publications", "reconciliation")] == [0, 0, 0]
    assert len(rows(spark, settings, "dq_results")) == 6 and len(rows(spark, settings, "reconciliation")) == 2

    with audit.recording(spark, settings, RUN):  # the same Airflow run cleared and run again
        record_a_run(spark, settings, RUN)
    other = RunContext("scheduled__2022-05-03", "test_dag", "process", "2022-05-03")
    with audit.recording(spark, settings, other):
        record_a_run(spark, settings, other, batches=("b3",))
    assert [versions(spark, settings, table) for table in ("dq_results", "publications", "reconciliation")] == [2, 2, 2]
    # A run's first attempt appends (nothing of it can be there yet); its rerun replaces; a new run appends.
    for table in ("dq_results", "publications", "reconciliation"):
        assert write_modes(spark, settings, table) == ["Append", "Overwrite", "Append"], table
    assert sorted((row.run_id, row.batch_id) for row in rows(spark, settings, "reconciliation")) == [
        (RUN.run_id, "b1"), (RUN.run_id, "b2"), (other.run_id, "b3"),
    ]
    assert len(rows(spark, settings, "dq_results")) == 9


def test_a_retry_after_an_attempt_that_wrote_part_of_its_trail_leaves_each_row_once(spark, settings, monkeypatch):
    """An attempt killed between two audit commits: its retry replaces what was written, never adds it twice."""
    write_run_rows = audit._write_run_rows

    def dies_after_the_first_table(spark_, settings_, table, rows_, run):
        write_run_rows(spark_, settings_, table, rows_, run)
        raise KeyboardInterrupt("the task was killed")

    monkeypatch.setattr(audit, "_write_run_rows", dies_after_the_first_table)
    with pytest.raises(KeyboardInterrupt):
        with audit.recording(spark, settings, RUN):
            record_a_run(spark, settings, RUN)
    assert [versions(spark, settings, table) for table in ("dq_results", "publications", "reconciliation")] == [0, -1, -1]
    monkeypatch.setattr(audit, "_write_run_rows", write_run_rows)

    with audit.recording(spark, settings, RUN):  # Airflow's retry: the same run and task
        record_a_run(spark, settings, RUN)
    assert len(rows(spark, settings, "dq_results")) == 6 and len(rows(spark, settings, "reconciliation")) == 2
    assert write_modes(spark, settings, "dq_results") == ["Append", "Overwrite"]
    assert write_modes(spark, settings, "reconciliation") == ["Append"]


def test_a_failed_run_still_writes_what_it_recorded_and_its_own_error_propagates(spark, settings):
    with pytest.raises(audit.ReconciliationError, match="b9.csv"):
        with audit.recording(spark, settings, RUN):
            audit.record_quality(spark, settings, RUN, "silver.t", "b9", None, [result("a", success=False)])
            audit.record_reconciliation(spark, settings, RUN, Reconciliation("src", "b9", "b9.csv", 10, 10, 5, 1))
    assert [(row.batch_id, row.success) for row in rows(spark, settings, "dq_results")] == [("b9", False)]
    assert [(row.batch_id, row.balanced) for row in rows(spark, settings, "reconciliation")] == [("b9", False)]


def test_a_row_recorded_with_no_trail_open_is_written_at_once(spark, settings):
    audit.record_publication(spark, settings, RUN, "silver.t", "b1", 3, 10, ["f.csv"])
    assert [row.rows for row in rows(spark, settings, "publications")] == [10]


def test_two_runs_writing_the_audit_tables_at_the_same_moment_lose_no_row(spark, settings, engine, monkeypatch):
    """Every DAG writes the audit tables: each into its own partition, so once the tables exist no commit
    conflicts with another DAG's (the first writes, both creating a table, may: the loser retries)."""
    from pyspark.sql import SparkSession

    conflicts = {1: 0, 2: 0}
    round_now = [1]
    is_conflict = lake.is_conflict

    def counted(error):
        if is_conflict(error):
            conflicts[round_now[0]] += 1
            return True
        return False

    monkeypatch.setattr(lake, "is_conflict", counted)

    other = SparkSession.builder.remote(engine).create()  # a second task's own session on the engine
    try:
        for round_number, day in ((1, "2022-05-01"), (2, "2022-05-02")):  # first onto no table, then onto existing ones
            round_now[0] = round_number
            runs = [RunContext(f"scheduled__{day}", f"dag_{name}", "process", day) for name in ("a", "b")]
            together = threading.Barrier(2)
            errors = []

            def write(session, run):
                try:
                    with audit.recording(session, settings, run):
                        record_a_run(session, settings, run, batches=[f"{run.dag_id}-{round_number}-{n}" for n in range(4)])
                        together.wait(timeout=60)  # both trails are written at the same moment
                except Exception as error:  # noqa: BLE001 - reported below
                    errors.append(error)

            threads = [threading.Thread(target=write, args=(session, run)) for session, run in zip((spark, other), runs)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=300)
            assert not errors, errors
        reconciled = sorted(row.batch_id for row in rows(spark, settings, "reconciliation"))
        assert reconciled == sorted(f"dag_{name}-{round_number}-{n}" for name in "ab" for round_number in (1, 2) for n in range(4))
        assert len(rows(spark, settings, "dq_results")) == 2 * 2 * 4 * 3
        assert len(rows(spark, settings, "publications")) == 2 * 2 * 4
        assert conflicts[2] == 0, conflicts
        for table in ("dq_results", "publications", "reconciliation"):
            assert lake.partition_columns(spark, settings, "audit", table) == ("dag_id",)
    finally:
        other.stop()


def test_the_run_page_from_the_runs_trail_shows_what_the_audit_tables_hold_for_the_run(spark, settings):
    """The report builds a run's page from the rows the run recorded (no read-back): the same rows."""
    from jobs import report

    with audit.recording(spark, settings, RUN) as trail:
        record_a_run(spark, settings, RUN)
    other = RunContext("scheduled__2022-05-03", "test_dag", "process", "2022-05-03")
    with audit.recording(spark, settings, other):
        record_a_run(spark, settings, other, batches=("b3",))

    def comparable(data: dict) -> dict:
        return {table: sorted(map(repr, (sorted(row.items()) for row in rows))) for table, rows in data.items() if table != "quarantine"}

    from_tables = report.gather_run(spark, settings, RUN.dag_id, RUN.run_id)
    from_trail = report.gather_run(spark, settings, RUN.dag_id, RUN.run_id, trail)
    assert len(from_trail["results"]) == 6 and len(from_trail["reconciliation"]) == 2
    assert comparable(from_trail) == comparable(from_tables)


def test_each_runs_index_document_holds_what_the_audit_tables_hold_and_a_rerun_replaces_its_batches(spark, settings):
    """The index folds one document per run (no aggregation over the audit tables at each run's end): the documents
    the runs wrote equal those rebuilt from the audit tables, a cleared run's rerun included."""
    import json

    from jobs import run_index
    from jobs.landing import store_for

    with audit.recording(spark, settings, RUN):
        record_a_run(spark, settings, RUN)
    with audit.recording(spark, settings, RUN):  # cleared and run again: b2 fails now, b1 stays as it was
        audit.record_quality(spark, settings, RUN, "silver.t", "b2", None, [result("a", success=False), result("b")])
    other = RunContext("scheduled__2022-05-03", "other_dag", "process", "2022-05-03")
    with audit.recording(spark, settings, other):
        record_a_run(spark, settings, other, batches=("b2",))

    store = store_for(settings.reports_root)
    written = sorted(map(json.loads, store.read_all(run_index.FOLDER)), key=lambda document: document["dag_id"])
    assert [document["run_id"] for document in written] == [other.run_id, RUN.run_id]
    assert written[1]["validations"]["silver.t|b2"] | {"validated_at": None} == {
        "table_name": "silver.t", "batch_id": "b2", "logical_date": "2022-05-02", "validated_at": None, "total": 2, "passed": 1, "critical": 1, "warning": 0,
    }
    assert store.read_text(run_index.COMPLETE_MARKER)  # the first run created the audit trail: nothing to rebuild
    # A lake whose audit rows predate the documents: the first index builds them from the audit tables.
    store.delete_tree(run_index.FOLDER)
    store.delete(run_index.COMPLETE_MARKER)
    rebuilt = run_index.documents(spark, settings)
    assert sorted(rebuilt, key=lambda document: document["dag_id"]) == written and store.read_text(run_index.COMPLETE_MARKER)

    index = run_index.fold(run_index.documents(spark, settings))
    daily = {(row["table_name"], str(row["logical_date"])): (row["total"], row["passed"], row["critical"]) for row in index["daily"]}
    # b2 of silver.t counts once, by its latest validation (the other DAG's run); b1 by the rerun's kept rows.
    assert daily == {("silver.t", "2022-05-02"): (2, 2, 0), ("silver.t", "2022-05-03"): (2, 2, 0), ("gold.t", "2022-05-02"): (1, 1, 0), ("gold.t", "2022-05-03"): (1, 1, 0)}
    assert index["quarantined"] == {"silver.t": 2, "gold.t": 2}
    assert sorted((run["dag_id"], run["expectations"], run["critical"]) for run in index["runs"]) == [("other_dag", 3, 0), ("test_dag", 6, 1)]
