"""The 311 Spark job on real Delta tables: publish, quarantine, reconcile, update, refuse, rerun."""

from __future__ import annotations

import csv
import io
import shutil
from datetime import date
from pathlib import Path

import pytest
from pyspark.sql import functions as F
from pyspark.storagelevel import StorageLevel

from jobs import lake as lake_catalog
from jobs import pipeline, quality
from jobs.nyc311 import columns as raw
from jobs.nyc311 import job
from tests import pipeline_runs
from tests.conftest import SAMPLE_311, engine_cached_datasets, make_settings, point_catalog_at

EXPECTATIONS = pipeline_runs.EXPECTATIONS


def sample_rows(count: int | None = None) -> tuple[list[str], list[list[str]]]:
    with open(SAMPLE_311, newline="") as sample:
        reader = csv.reader(sample)
        header = next(reader)
        rows = list(reader)
    return header, rows[:count] if count else rows


def write_csv(path: Path, header: list[str], rows: list[list[str]], extra_lines: list[str] = ()) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(buffer.getvalue() + "".join(line + "\n" for line in extra_lines))
    return path


def land_and_run(spark, settings, day: str, files: list[Path], run_id: str = "run-1"):
    pipeline_runs.land_and_run(spark, settings, job.SOURCE, "nyc311_daily", day, files, run_id)


def table(spark, settings, name: str):
    """A table by name, as BI would query it: jobs write by path, so register what they created."""
    lake_catalog.register_catalog(spark, settings)
    return spark.table(name)


def rows_of(spark, settings, name: str, order_by: list[str]):
    return [row.asDict() for row in table(spark, settings, name).orderBy(*order_by).collect()]


@pytest.fixture(scope="module")
def sample_run(spark, tmp_path_factory):
    """The sample's day run once for the module: the tests that start from it share its lake (a run is ~15 s)."""
    settings = make_settings(tmp_path_factory.mktemp("sample-lake"))
    point_catalog_at(spark, settings)
    land_and_run(spark, settings, "2022-05-01", [SAMPLE_311])
    return settings


@pytest.fixture
def sample_lake(spark, sample_run):
    """The module's sample lake, the session's catalog pointed at it again (the tests between point it elsewhere)."""
    point_catalog_at(spark, sample_run)
    return sample_run


def test_the_sample_is_published_reconciled_and_a_rerun_changes_nothing(spark, sample_lake):
    assert table(spark, sample_lake, "bronze.nyc311_service_requests").count() == 924
    assert table(spark, sample_lake, "silver.service_requests").count() == 924
    assert table(spark, sample_lake, "quarantine.service_requests").count() == 0
    reconciliation = table(spark, sample_lake, "audit.reconciliation").first()
    assert (reconciliation.manifest_rows, reconciliation.bronze_rows, reconciliation.published_rows, reconciliation.balanced) == (924, 924, 924, True)
    results = table(spark, sample_lake, "audit.dq_results")
    suite_sizes = {name: len(quality.load_suite(EXPECTATIONS / name).expectations) for name in (pipeline.DRIFT_SUITE, job.SOURCE.declared.batch_suite, job.SOURCE.silver.suite, job.SOURCE.gold.target.suite)}
    assert results.count() == sum(suite_sizes.values())
    assert results.where("NOT success AND severity = 'critical'").count() == 0
    # Every result points at the Delta version its publication produced; each publication at its raw file.
    versions = {row.table_name: row.versions for row in results.groupBy("table_name").agg(F.collect_set("delta_version").alias("versions")).collect()}
    assert versions == {"silver.service_requests": [0], "gold.service_requests_daily": [0]}
    publications = {row.table_name: row for row in table(spark, sample_lake, "audit.publications").collect()}
    assert {name: (row.delta_version, row.rows, row.source_files) for name, row in publications.items()} == {
        "silver.service_requests": (0, 924, [SAMPLE_311.name]),
        "gold.service_requests_daily": (0, table(spark, sample_lake, "gold.service_requests_daily").count(), [SAMPLE_311.name]),
    }
    # Bronze keeps the delivered header names, spaces and all.
    assert "Unique Key" in table(spark, sample_lake, "bronze.nyc311_service_requests").columns

    gold_before = rows_of(spark, sample_lake, "gold.service_requests_daily", ["day", "borough", "theme"])
    silver_before = rows_of(spark, sample_lake, "silver.service_requests", ["request_id"])
    land_and_run(spark, sample_lake, "2022-05-01", [SAMPLE_311])  # Airflow "clear and rerun" of the same run
    assert rows_of(spark, sample_lake, "gold.service_requests_daily", ["day", "borough", "theme"]) == gold_before
    assert rows_of(spark, sample_lake, "silver.service_requests", ["request_id"]) == silver_before
    assert table(spark, sample_lake, "bronze.nyc311_service_requests").count() == 924
    assert table(spark, sample_lake, "audit.reconciliation").count() == 1
    assert table(spark, sample_lake, "audit.publications").count() == 2
    assert table(spark, sample_lake, "audit.dq_results").count() == sum(suite_sizes.values())


@pytest.mark.parametrize("large", [False, True], ids=["small", "as-a-large-delivery"])
def test_bad_rows_are_quarantined_with_their_reasons_and_rows_reconcile(spark, lake, tmp_path, monkeypatch, large):
    levels = []
    if large:  # the 102 rows take the path of a delivery of millions: spread, sized shuffles, cached on disk
        monkeypatch.setattr(pipeline, "BRONZE_ROWS_PER_FILE", 20)
        monkeypatch.setattr(pipeline, "MEMORY_CACHED_ROWS", 50)
        cache_level = pipeline.cache_level
        monkeypatch.setattr(pipeline, "cache_level", lambda rows: levels.append(cache_level(rows)) or levels[-1])
    header, rows = sample_rows(100)
    position = {name: index for index, name in enumerate(header)}
    rows[0][position[raw.UNIQUE_KEY]] = ""
    rows[1][position[raw.CREATED_DATE]] = "2022-05-01T00:00:00"
    rows[2][position[raw.CLOSED_DATE]] = "04/30/2022 11:00:00 PM"
    rows[3][position[raw.LATITUDE]] = "48.85"
    rows.append(list(rows[10]))  # the same request twice in one file
    dirty = write_csv(tmp_path / "nyc311_dirty.csv", header, rows, extra_lines=["99999999,only,three"])

    land_and_run(spark, lake, "2022-05-01", [dirty])
    reasons = {row.rule_id: row for row in table(spark, lake, "quarantine.service_requests").collect()}
    assert set(reasons) == {"key_missing", "created_unparseable", "closed_before_created", "coordinates_invalid", "duplicate_key_in_file", "malformed_row"}
    assert reasons["malformed_row"].raw_record.startswith("99999999,only,three")
    assert all(row._source_file == "nyc311_dirty.csv" for row in reasons.values())
    check = table(spark, lake, "audit.reconciliation").first()
    assert check.manifest_rows == check.bronze_rows == 102
    assert (check.published_rows, check.quarantined_rows, check.balanced) == (96, 6, True)
    assert table(spark, lake, "silver.service_requests").count() == 96
    if large:
        assert levels and all(level == StorageLevel.DISK_ONLY for level in levels)


def test_a_later_delivery_closes_a_request_and_gold_follows(spark, lake, tmp_path):
    header, rows = sample_rows(30)
    position = {name: index for index, name in enumerate(header)}
    open_row = next(row for row in rows if not row[position[raw.CLOSED_DATE]])
    request_id = int(open_row[position[raw.UNIQUE_KEY]])
    land_and_run(spark, lake, "2022-05-01", [write_csv(tmp_path / "day1.csv", header, rows)])
    still_open_day1 = table(spark, lake, "gold.service_requests_daily").where("day = '2022-05-01'").groupBy().sum("still_open_end_of_day").first()[0]

    update = list(open_row)
    update[position[raw.CLOSED_DATE]] = "05/02/2022 09:00:00 AM"
    update[position[raw.STATUS]] = "Closed"
    update[position[raw.RESOLUTION_UPDATED]] = "05/02/2022 09:00:00 AM"
    land_and_run(spark, lake, "2022-05-02", [write_csv(tmp_path / "day2.csv", header, [update])], run_id="run-2")

    silver = table(spark, lake, "silver.service_requests").where(f"request_id = {request_id}").first()
    assert (silver.status, str(silver.closed_date)) == ("Closed", "2022-05-02")
    assert table(spark, lake, "silver.service_requests").count() == 30
    gold = {str(row.day): row for row in table(spark, lake, "gold.service_requests_daily").where(f"borough = '{silver.borough}' AND theme = '{silver.theme}'").collect()}
    assert gold["2022-05-02"].requests_closed == 1
    # The request was still open at the end of May 1st; day 1's figure does not change.
    assert table(spark, lake, "gold.service_requests_daily").where("day = '2022-05-01'").groupBy().sum("still_open_end_of_day").first()[0] == still_open_day1


def test_a_backfill_of_an_earlier_day_refreshes_the_later_days_already_in_gold(spark, lake, tmp_path):
    header, rows = sample_rows()
    position = {name: index for index, name in enumerate(header)}
    open_on_day1 = [row for row in rows if not row[position[raw.CLOSED_DATE]]][:10]
    day2 = []
    for row in rows[-10:]:  # created a day later, still open
        moved = list(row)
        moved[position[raw.CREATED_DATE]] = row[position[raw.CREATED_DATE]].replace("05/01/2022", "05/02/2022")
        moved[position[raw.CLOSED_DATE]] = ""
        moved[position[raw.STATUS]] = "Open"
        day2.append(moved)
    land_and_run(spark, lake, "2022-05-02", [write_csv(tmp_path / "day2.csv", header, day2)])
    land_and_run(spark, lake, "2022-05-01", [write_csv(tmp_path / "day1.csv", header, open_on_day1)], run_id="backfill-1")

    # May 2nd's "still open at end of day" now counts May 1st's open requests too, as a run in order would.
    gold = table(spark, lake, "gold.service_requests_daily")
    expected = job.SOURCE.gold.transform(table(spark, lake, "silver.service_requests"), date(2022, 5, 1), date(2022, 5, 2))
    assert sorted(map(tuple, gold.collect())) == sorted(map(tuple, expected.select(gold.columns).collect()))
    assert gold.where("day = '2022-05-02'").groupBy().sum("still_open_end_of_day").first()[0] == 20


def test_a_critical_failure_publishes_nothing_and_names_the_expectation(spark, lake, tmp_path):
    header, rows = sample_rows(20)
    position = {name: index for index, name in enumerate(header)}
    for row in rows:  # a systematic format change: every date in ISO form
        row[position[raw.CREATED_DATE]] = "2022-05-01T10:00:00"
    broken = write_csv(tmp_path / "nyc311_iso_dates.csv", header, rows)

    with pytest.raises(quality.CriticalExpectationFailed, match=r"expect_column_values_to_not_be_null\(created_at\): unexpected 20") as error:
        land_and_run(spark, lake, "2022-05-01", [broken])
    assert "nyc311_iso_dates.csv" in str(error.value)
    lake_catalog.register_catalog(spark, lake)
    assert not spark.catalog.tableExists("silver.service_requests")
    assert not spark.catalog.tableExists("gold.service_requests_daily")
    failed = table(spark, lake, "audit.dq_results").where("NOT success").collect()
    assert [(row.column_name, row.severity) for row in failed] == [("created_at", "critical")]


def test_a_run_that_fails_half_way_leaves_nothing_cached_on_the_shared_engine(spark, lake, monkeypatch):
    cached_before = engine_cached_datasets()

    def failing_merge(*args, **kwargs):
        raise RuntimeError("injected: the MERGE into silver failed")

    monkeypatch.setattr(lake_catalog, "merge_by_key", failing_merge)
    with pytest.raises(RuntimeError, match="injected"):
        land_and_run(spark, lake, "2022-05-01", [SAMPLE_311])
    # The typed, silver and quarantined batches it persisted are all released, so the next run starts clean.
    assert engine_cached_datasets() == cached_before
    assert not [view.name for view in spark.catalog.listTables() if view.isTemporary and view.name.startswith("citylake_batch_")]


def test_a_persisted_batch_is_read_through_its_view_from_the_cache_and_released_with_the_view(spark):
    frame = spark.range(1000).withColumn("twice", F.col("id") * 2)
    batch = pipeline.persisted(frame, StorageLevel.MEMORY_AND_DISK_DESER)
    (view,) = [table.name for table in spark.catalog.listTables() if table.isTemporary and table.name.startswith("citylake_batch_")]
    # Queries on the batch name the view, and the engine answers them from the cached copy of the plan.
    assert batch.is_cached and frame.is_cached
    assert "InMemoryRelation" in batch.where("twice > 10")._explain_string(extended=False)
    assert batch.agg(F.sum("twice")).first()[0] == 999 * 1000
    pipeline.release(batch)
    assert frame.storageLevel == StorageLevel.NONE
    assert view not in [table.name for table in spark.catalog.listTables()]


def test_a_header_without_required_columns_fails_naming_file_and_columns(spark, lake, tmp_path):
    header, rows = sample_rows(5)
    position = header.index(raw.CREATED_DATE)
    bad = write_csv(tmp_path / "no_created.csv", header[:position] + header[position + 1 :], [row[:position] + row[position + 1 :] for row in rows])
    entry_path = Path(lake.landing_root) / raw.SOURCE / "2022-05-01" / bad.name
    entry_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(bad, entry_path)
    # Landing refuses it first; bronze checks again in case a file reaches it another way.
    from jobs.landing import ManifestEntry

    entry = ManifestEntry(raw.SOURCE, bad.name, "2022-05-01", 1, "0" * 64, 5, "2022-05-01T00:00:00+00:00", str(entry_path))
    with pytest.raises(pipeline.DeliveryError, match=r"no_created.csv: header lacks required column\(s\) \['Created Date'\]"):
        pipeline.ingest_bronze(spark, lake, job.SOURCE, entry)


def test_bronze_files_hold_a_bounded_number_of_rows_so_a_large_delivery_is_read_in_many_partitions(spark, lake, tmp_path, monkeypatch):
    from jobs.landing import ManifestEntry

    header, rows = sample_rows(5)
    delivered = write_csv(tmp_path / "five.csv", header, rows)
    entry_path = Path(lake.landing_root) / raw.SOURCE / "2022-05-01" / delivered.name
    entry_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(delivered, entry_path)
    entry = ManifestEntry(raw.SOURCE, delivered.name, "2022-05-01", 1, "1" * 64, 5, "2022-05-01T00:00:00+00:00", str(entry_path))
    monkeypatch.setattr(pipeline, "BRONZE_ROWS_PER_FILE", 2)

    pipeline.ingest_bronze(spark, lake, job.SOURCE, entry)

    batch = pipeline.bronze_batch(spark, lake, job.SOURCE, entry)
    files = batch.groupBy(F.input_file_name()).count().collect()
    assert sorted(row["count"] for row in files) == [1, 2, 2]
    # A read packs such small files into one task again: the batch is spread before it is typed and cached.
    spread = pipeline.spread(batch, entry.rows)
    assert "REPARTITION_BY_NUM" in spread._explain_string(extended=False)
    # Hashed on the rows' values: which of the 3 partitions a row goes to is fixed, and more than one is used.
    partitions = [row["partition"] for row in spread.select(F.spark_partition_id().alias("partition")).collect()]
    assert len(partitions) == 5 and max(partitions) in (1, 2)
    monkeypatch.setattr(pipeline, "BRONZE_ROWS_PER_FILE", 5)
    assert "REPARTITION_BY_NUM" not in pipeline.spread(batch, entry.rows)._explain_string(extended=False)


def test_a_large_delivery_shuffles_into_partitions_of_bounded_rows_for_its_run_only(spark, monkeypatch):
    before = spark.conf.get(pipeline.SHUFFLE_PARTITIONS)
    monkeypatch.setattr(pipeline, "BRONZE_ROWS_PER_FILE", 2)
    with pipeline.session_sized_for(spark, 2 * int(before) + 1):
        assert spark.conf.get(pipeline.SHUFFLE_PARTITIONS) == str(int(before) + 1)
    assert spark.conf.get(pipeline.SHUFFLE_PARTITIONS) == before
    with pipeline.session_sized_for(spark, 2):  # fits the partitions the session has: left as it is
        assert spark.conf.get(pipeline.SHUFFLE_PARTITIONS) == before
    with pytest.raises(RuntimeError), pipeline.session_sized_for(spark, 4 * int(before)):
        raise RuntimeError("a failed run")
    assert spark.conf.get(pipeline.SHUFFLE_PARTITIONS) == before


def test_a_large_delivery_compiles_its_expressions_for_its_run_only(spark, monkeypatch):
    """The engine on one machine interprets expressions (small batches); a large delivery's run compiles them."""
    from jobs import spark_config

    def codegen() -> dict:
        return {name: spark.conf.get(name) for name in spark_config.COMPILED}

    assert codegen() == spark_config.INTERPRETED
    monkeypatch.setattr(pipeline, "COMPILED_ROWS", 10)
    with pipeline.session_sized_for(spark, 9):
        assert codegen() == spark_config.INTERPRETED
        assert "codegen id" not in spark.range(5).selectExpr("id * 2 AS twice")._explain_string(mode="formatted")
    with pytest.raises(RuntimeError), pipeline.session_sized_for(spark, 10):
        assert codegen() == spark_config.COMPILED
        assert "codegen id" in spark.range(5).selectExpr("id * 2 AS twice")._explain_string(mode="formatted")
        raise RuntimeError("a failed run")
    assert codegen() == spark_config.INTERPRETED


def socrata_delivery(path: Path, shape: str, extra_column: str | None = None) -> Path:
    """The sample as the Socrata API delivers it (``api-csv`` or ``api-json``): same requests, API spelling."""
    import json

    import pandas as pd

    from jobs.synthetic.nyc311 import api_shape

    frame = api_shape(pd.read_csv(SAMPLE_311, dtype=str, keep_default_na=False))
    if extra_column:
        frame[extra_column] = "x"
    if shape == "api-csv":
        frame.to_csv(path, index=False)
    else:  # the API leaves out empty fields
        path.write_text(json.dumps([{name: value for name, value in record.items() if value != ""} for record in frame.to_dict("records")]))
    return path


def test_the_socrata_api_shapes_land_in_the_same_silver_rows_and_unknown_columns_are_drift(spark, sample_lake, tmp_path):
    """Runs after the sample's own test (the module's last): it adds the API's deliveries to the sample's lake."""
    columns = [name for name in table(spark, sample_lake, "silver.service_requests").columns if name not in ("source_file", "batch_id")]
    portal = [row.asDict() for row in table(spark, sample_lake, "silver.service_requests").select(*columns).orderBy("request_id").collect()]

    # The same requests again, from the API: as JSON, and as CSV with a column the pipeline does not know.
    api_json = socrata_delivery(tmp_path / "erm2-nwe9.json", "api-json")
    api_csv = socrata_delivery(tmp_path / "erm2-nwe9.csv", "api-csv", extra_column="new_field")
    land_and_run(spark, sample_lake, "2022-05-02", [api_json, api_csv], run_id="run-api")
    silver = table(spark, sample_lake, "silver.service_requests")
    # Same requests, same values: every row of the API deliveries matched its portal row in the MERGE.
    assert [row.asDict() for row in silver.select(*columns).orderBy("request_id").collect()] == portal
    checks = {row.source_file: row for row in table(spark, sample_lake, "audit.reconciliation").collect()}
    assert all(checks[name].balanced and checks[name].published_rows == 924 for name in ("erm2-nwe9.json", "erm2-nwe9.csv"))
    # Bronze keeps the API's own columns: the computed regions (expected, not drift) and the unknown one.
    bronze = table(spark, sample_lake, "bronze.nyc311_service_requests")
    assert any(name.startswith(":@computed_region_") for name in bronze.columns)
    assert bronze.where("new_field = 'x'").count() == 924
    drift = {row.batch_id: row for row in table(spark, sample_lake, "audit.dq_results").where("suite = 'delivery_columns'").collect()}
    by_file = {row.source_file: row.batch_id for row in checks.values()}
    assert drift[by_file["erm2-nwe9.json"]].success and drift[by_file[SAMPLE_311.name]].success
    unknown = drift[by_file["erm2-nwe9.csv"]]
    assert (unknown.success, unknown.severity) == (False, "warning") and unknown.delta_version is not None
    assert "new_field" in unknown.observed_value
