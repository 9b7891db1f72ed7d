"""Great Expectations suites: every suite in expectations/ loads, and results carry counts, not rows."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest

from jobs import data_docs, quality
from jobs.settings import PROJECT_ROOT, load_settings
from tests.conftest import engine_spark_jobs

SUITES = sorted((PROJECT_ROOT / "expectations").glob("*.json"))


def test_there_are_suites():
    assert SUITES


@pytest.mark.parametrize("suite_path", SUITES, ids=lambda path: path.name)
def test_every_suite_in_the_repository_loads_with_a_severity_on_every_expectation(suite_path):
    suite = quality.load_suite(suite_path)
    assert suite.expectations
    assert all(expectation.meta["severity"] in quality.SEVERITIES for expectation in suite.expectations)


def write_suite(tmp_path: Path, expectations: list[dict]) -> Path:
    path = tmp_path / "suite.json"
    path.write_text(json.dumps({"name": "test_suite", "expectations": expectations}))
    return path


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "cannot read suite"),
        (json.dumps({"name": "s", "expectations": [{"type": "expect_the_impossible", "kwargs": {}, "meta": {"severity": "critical"}}]}), "is invalid"),
        (json.dumps({"name": "s", "expectations": [{"type": "expect_column_to_exist", "kwargs": {"column": "a"}}]}), "severity None"),
    ],
)
def test_a_malformed_suite_names_the_file(tmp_path, content, message):
    path = tmp_path / "broken.json"
    path.write_text(content)
    with pytest.raises(quality.SuiteError, match=message) as error:
        quality.load_suite(path)
    assert str(path) in str(error.value)


def test_results_keep_counts_and_severities_and_a_missing_column_is_a_critical_failure(spark, tmp_path):
    df = spark.createDataFrame([(1, "a"), (2, None), (2, "c")], "k long, name string")
    suite = write_suite(
        tmp_path,
        [
            {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "k"}, "meta": {"severity": "warning"}},
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "name"}, "meta": {"severity": "critical"}},
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "missing"}, "meta": {"severity": "warning"}},
            {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1}, "meta": {"severity": "critical"}},
        ],
    )
    results = {(result.expectation_type, result.column): result for result in quality.validate(df, suite)}
    unique = results[("expect_column_values_to_be_unique", "k")]
    assert (unique.success, unique.severity, unique.unexpected_count) == (False, "warning", 2)
    not_null = results[("expect_column_values_to_not_be_null", "name")]
    assert (not_null.success, not_null.unexpected_count) == (False, 1)
    assert not_null.unexpected_percent == pytest.approx(100 / 3)
    missing = results[("expect_column_values_to_not_be_null", "missing")]
    assert not missing.success
    assert "missing" in (missing.exception or "")
    assert results[("expect_table_row_count_to_be_between", None)].observed_value == "3"

    failures = quality.critical_failures(list(results.values()))
    assert {(failure.expectation_type, failure.column) for failure in failures} == {
        ("expect_column_values_to_not_be_null", "name"),
        ("expect_column_values_to_not_be_null", "missing"),
    }
    message = quality.describe_failure("silver.t", "batch-1", failures)
    assert "silver.t: batch batch-1" in message and "unexpected 1 (33.33%)" in message
    # No value of the data travels into the results.
    assert all("'a'" not in json.dumps(result.__dict__) for result in results.values())


def test_a_column_must_be_greater_than_another_in_the_suites_shared_aggregation(spark, tmp_path):
    """citylake's column-map form of GE's column-pair check: same verdicts, no Spark job of its own."""
    rows = [(1, 10, 5), (2, 10, 10), (3, 4, 5), (4, None, 5), (5, 7, None)]
    df = spark.createDataFrame(rows, "k long, closed long, created long")

    def validate(*kwargs_list):
        expectations = [{"type": "expect_column_values_to_be_greater_than_column", "kwargs": kwargs, "meta": {"severity": "warning"}} for kwargs in kwargs_list]
        return {result.column: result for result in quality.validate(df, write_suite(tmp_path, expectations))}

    # Rows with either value missing are not judged: 4 rows have `closed`, one of them a missing `created`.
    or_equal = validate({"column": "closed", "other_column": "created", "or_equal": True})["closed,created"]
    assert (or_equal.success, or_equal.unexpected_count, or_equal.unexpected_percent) == (False, 1, 25.0)
    strictly = validate({"column": "closed", "other_column": "created"})["closed,created"]
    assert (strictly.success, strictly.unexpected_count) == (False, 2)
    mostly = validate({"column": "closed", "other_column": "created", "or_equal": True, "mostly": 0.7})["closed,created"]
    assert mostly.success and mostly.unexpected_count == 1
    # A column that is not there: a failure that says so, critical whatever the severity, and the
    # expectations that share its aggregation still get their own verdicts.
    results = validate({"column": "closed", "other_column": "opened"}, {"column": "closed", "other_column": "k"})
    missing = results["closed,opened"]
    assert not missing.success and '"opened"' in (missing.exception or "")
    assert quality.critical_failures([missing]) == [missing]
    assert results["closed,k"].success and results["closed,k"].exception is None


def test_the_column_comparison_adds_no_spark_job_to_the_suite(spark, tmp_path):
    """Why it exists: GE's column-pair form adds Spark jobs of its own; this one rides in the suite's aggregation."""
    df = spark.createDataFrame([(1, 10, 5), (2, 10, 10)], "k long, closed long, created long").persist()
    df.count()
    not_null = {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "k"}, "meta": {"severity": "critical"}}
    greater = {"type": "expect_column_values_to_be_greater_than_column", "kwargs": {"column": "closed", "other_column": "created"}, "meta": {"severity": "critical"}}

    def spark_jobs(expectations):
        suite = write_suite(tmp_path, expectations)
        before = engine_spark_jobs()
        quality.validate(df, suite)
        return engine_spark_jobs() - before

    spark_jobs([not_null, greater])  # Great Expectations' first validation in a process does extra work
    assert spark_jobs([not_null, greater]) == spark_jobs([not_null])
    df.unpersist()


def test_map_expectations_add_no_round_trip_to_the_suite_and_complete_results_still_list_values(spark, tmp_path, monkeypatch):
    """Results hold counts only: Great Expectations' query for zero example values per map expectation is skipped.

    Such a query (a ``limit(0)``) runs no Spark job and no SQL execution on the engine, only a round trip: the
    client's collects are counted."""
    from pyspark.sql.connect.dataframe import DataFrame as ConnectDataFrame

    df = spark.createDataFrame([(1, "a", 5), (2, "b", 50), (3, None, 7)], "k long, name string, size long").persist()
    df.count()
    not_null = {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "k"}, "meta": {"severity": "critical"}}
    in_set = {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "name", "value_set": ["a", "c"]}, "meta": {"severity": "warning"}}
    between = {"type": "expect_column_values_to_be_between", "kwargs": {"column": "size", "max_value": 10}, "meta": {"severity": "warning"}}
    collect, collects = ConnectDataFrame.collect, []
    monkeypatch.setattr(ConnectDataFrame, "collect", lambda self: collects.append(self) or collect(self))

    def round_trips(expectations):
        suite = write_suite(tmp_path, expectations)
        collects.clear()
        results = quality.validate(df, suite)
        return len(collects), {result.column: result for result in results}

    round_trips([not_null, in_set, between])  # Great Expectations' first validation in a process does extra work
    alone, _ = round_trips([not_null])
    together, results = round_trips([not_null, in_set, between])
    assert together == alone, "a map expectation added a round trip of its own"
    assert (results["name"].unexpected_count, results["size"].unexpected_count) == (1, 1)

    # Asked for values, Great Expectations still fetches them.
    import great_expectations as gx

    source = quality._context().data_sources.add_or_update_spark(name="complete-results")
    batch = source.add_dataframe_asset(name="t").add_batch_definition_whole_dataframe("b").get_batch(batch_parameters={"dataframe": df})
    complete = batch.validate(gx.expectations.ExpectColumnValuesToBeInSet(column="name", value_set=["a", "c"]), result_format="COMPLETE")
    assert complete.result["partial_unexpected_list"] == ["b"]
    df.unpersist()


def test_data_docs_show_each_check_with_the_values_the_run_held_the_batch_to(spark, tmp_path, caplog):
    """A suite's placeholders are filled per run; Data Docs render them filled (unfilled, Great Expectations
    1.x's ordered-columns renderer fails with KeyError: 0 and the page lacks the check)."""
    df = spark.createDataFrame([(1, "a")], "k long, name string")
    suite = write_suite(tmp_path, [
        {"type": "expect_table_columns_to_match_ordered_list", "kwargs": {"column_list": {"$PARAMETER": "declared_columns"}}, "meta": {"severity": "critical"}},
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": {"$PARAMETER": "volume_min"}}, "meta": {"severity": "critical"}},
    ])
    quality.take_validations()  # this process's earlier validations are not this site's
    results = quality.validate(df, suite, {"declared_columns": ["k", "name"], "volume_min": 1})
    assert all(result.success for result in results)
    with caplog.at_level(logging.ERROR):
        data_docs.build_site(quality.take_validations(), tmp_path / "site", Path(load_settings().web_assets_dir))
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR] == []
    suite_page = tmp_path / "site" / "expectations" / "test_suite.html"
    (validation_page,) = (tmp_path / "site" / "validations").rglob("*.html")
    for page in (suite_page, validation_page):
        text = page.read_text()
        assert re.search(r"Must have these columns in this order: .*>k</span>, .*>name</span>", text), page
        assert "$PARAMETER" not in text
