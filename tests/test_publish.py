"""Write, audit, publish on real Delta tables: a critical failure publishes nothing, a warning does."""

from __future__ import annotations

import json
from datetime import date
from types import SimpleNamespace

import pytest

from jobs import declarations, lake, publish, quality
from jobs.audit import RunContext

RUN = RunContext("scheduled__2022-05-02", "test_dag", "publish", "2022-05-02")
# A table the test declares, as a domain would in its declarations.yaml.
(TARGET,), *_ = declarations.parse("tests", """
owner: citylake-tests
tables:
  - name: gold.counts
    suite: counts.json
    columns:
      - {name: day, type: date, classification: none, treatment: keep}
      - {name: borough, type: string, classification: none, treatment: keep}
      - {name: opened, type: bigint, classification: none, treatment: keep}
""")
SCHEMA = "day date, borough string, opened long"


@pytest.fixture
def expectations_dir(tmp_path):
    """A small suite with one critical and one warning expectation, plus the run-dependent bounds."""
    folder = tmp_path / "expectations"
    folder.mkdir()
    suite = {
        "name": "counts",
        "expectations": [
            {"type": "expect_column_values_to_be_between", "kwargs": {"column": "opened", "min_value": 0}, "meta": {"severity": "critical"}},
            {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "borough", "value_set": ["Bronx", "Queens"]}, "meta": {"severity": "warning"}},
            {"type": "expect_column_max_to_be_between", "kwargs": {"column": "day", "min_value": {"$PARAMETER": "freshness_min_day"}}, "meta": {"severity": "warning"}},
            {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": {"$PARAMETER": "volume_min"}, "max_value": {"$PARAMETER": "volume_max"}}, "meta": {"severity": "warning"}},
        ],
    }
    (folder / "counts.json").write_text(json.dumps(suite))
    return folder


def replace_day(settings, day: str):
    return lambda staged: lake.replace_where(staged, settings, TARGET.zone, TARGET.table, f"day = '{day}'")


def results_of(spark, settings):
    return {row.expectation_type: row for row in lake.read_table(spark, settings, "audit", "dq_results").collect()}


def test_a_critical_failure_publishes_nothing_keeps_the_staged_batch_and_names_the_evidence(spark, settings, expectations_dir):
    batch = spark.createDataFrame([(date(2022, 5, 2), "Bronx", 5), (date(2022, 5, 2), "Queens", -3)], SCHEMA)
    with pytest.raises(quality.CriticalExpectationFailed) as error:
        publish.write_audit_publish(spark, settings, RUN, TARGET, batch, "batch-1", expectations_dir, replace_day(settings, "2022-05-02"), ["counts.csv"])
    message = str(error.value)
    assert "gold.counts: batch batch-1" in message
    assert "expect_column_values_to_be_between(opened): unexpected 1 (50.00%)" in message
    assert "nothing was published" in message
    assert not lake.table_exists(spark, settings, TARGET.zone, TARGET.table)
    staged = spark.read.format("delta").load(publish.staging_path(settings, TARGET, "batch-1"))
    assert staged.count() == 2
    failed = results_of(spark, settings)["expect_column_values_to_be_between"]
    assert (failed.success, failed.severity, failed.delta_version, failed.unexpected_count) == (False, "critical", None, 1)
    assert not lake.table_exists(spark, settings, "audit", "publications")


def test_a_warning_is_recorded_and_the_batch_published_with_its_version(spark, settings, expectations_dir):
    batch = spark.createDataFrame([(date(2022, 5, 2), "Bronx", 5), (date(2022, 5, 2), "Staten Island", 2)], SCHEMA)
    version = publish.write_audit_publish(spark, settings, RUN, TARGET, batch, "batch-2", expectations_dir, replace_day(settings, "2022-05-02"), ["counts.csv"])
    assert version == 0
    assert lake.read_table(spark, settings, TARGET.zone, TARGET.table).count() == 2
    results = results_of(spark, settings)
    warning = results["expect_column_values_to_be_in_set"]
    assert (warning.success, warning.severity, warning.delta_version, warning.unexpected_count) == (False, "warning", 0, 1)
    assert results["expect_column_max_to_be_between"].success  # freshness: 2022-05-02 >= 2022-05-01
    [publication] = lake.read_table(spark, settings, "audit", "publications").collect()
    assert (publication.table_name, publication.delta_version, publication.rows, publication.source_files) == ("gold.counts", 0, 2, ["counts.csv"])
    # Published batches leave no staging behind.
    assert not lake.table_exists(spark, settings, "staging", "gold.counts/batch-2")


def test_volume_is_checked_against_the_median_of_recent_publications(spark, settings, expectations_dir):
    for day, rows in (("2022-05-01", 10), ("2022-05-02", 12), ("2022-05-03", 11)):
        run = RunContext(f"scheduled__{day}", "test_dag", "publish", day)
        batch = spark.createDataFrame([(date.fromisoformat(day), "Bronx", n) for n in range(rows)], SCHEMA)
        publish.write_audit_publish(spark, settings, run, TARGET, batch, f"batch-{day}", expectations_dir, replace_day(settings, day), [f"{day}.csv"])
    assert publish.recent_volumes(spark, settings, TARGET, "2022-05-04") == [11, 12, 10]
    parameters = publish.run_parameters(spark, settings, TARGET, "2022-05-04")
    assert (parameters["volume_min"], parameters["volume_max"], parameters["freshness_min_day"]) == (5, 23, "2022-05-03")

    run = RunContext("scheduled__2022-05-04", "test_dag", "publish", "2022-05-04")
    tiny = spark.createDataFrame([(date(2022, 5, 4), "Bronx", 1)], SCHEMA)
    publish.write_audit_publish(spark, settings, run, TARGET, tiny, "batch-2022-05-04", expectations_dir, replace_day(settings, "2022-05-04"), ["2022-05-04.csv"])
    volume = [row for row in lake.read_table(spark, settings, "audit", "dq_results").where("batch_id = 'batch-2022-05-04'").collect()
              if row.expectation_type == "expect_table_row_count_to_be_between"]
    assert [(row.success, row.severity, row.observed_value) for row in volume] == [(False, "warning", "1")]


def test_a_runs_gates_read_the_volume_history_once_until_a_publication_is_recorded(spark, settings, monkeypatch):
    from jobs import audit

    for day, rows in (("2022-05-01", 10), ("2022-05-02", 12)):
        run = RunContext(f"scheduled__{day}", "test_dag", "publish", day)
        audit.record_publication(spark, settings, run, "silver.t", f"s-{day}", 1, rows, [f"{day}.csv"])
        audit.record_publication(spark, settings, run, "gold.t", f"g-{day}", 1, rows // 2, [f"{day}.csv"])
    queries = []
    volumes_by_table = publish._volumes_by_table
    monkeypatch.setattr(publish, "_volumes_by_table", lambda *args: queries.append(args) or volumes_by_table(*args))
    silver, gold = SimpleNamespace(name="silver.t"), SimpleNamespace(name="gold.t")  # only a table's name is read

    assert publish.recent_volumes(spark, settings, silver, "2022-05-03") == [12, 10]
    assert publish.recent_volumes(spark, settings, gold, "2022-05-03") == [6, 5]
    assert len(queries) == 1  # silver's gate and gold's: one query
    run = RunContext("scheduled__2022-05-03", "test_dag", "publish", "2022-05-03")
    audit.record_publication(spark, settings, run, "silver.t", "s-2022-05-03", 1, 14, ["2022-05-03.csv"])
    assert publish.recent_volumes(spark, settings, silver, "2022-05-04") == [14, 12, 10]
    assert publish.recent_volumes(spark, settings, silver, "2022-05-03") == [12, 10]
    assert len(queries) == 3  # a new version of audit.publications, or another day: read again
