"""OPTIMIZE/Z-order maintenance on a real Delta table: fewer files, the same rows, an audit record."""

from __future__ import annotations

from datetime import date, timedelta

from jobs import audit, lake, maintenance
from jobs.audit import RunContext

RUN = RunContext("scheduled__2022-05-08", "lake_maintenance", "optimize_gold_service_requests_daily", "2022-05-08")


def small_files_gold(spark, settings, files: int = 12):
    rows = [
        (date(2022, 5, 1) + timedelta(days=day), borough, "noise", day + 1, day, 1.5, 3)
        for day in range(30)
        for borough in ("Bronx", "Brooklyn", "Manhattan", "Queens", "Staten Island")
    ]
    frame = spark.createDataFrame(
        rows,
        "day date, borough string, theme string, requests_opened long, requests_closed long, "
        "median_hours_to_close double, still_open_end_of_day long",
    )
    frame.repartition(files).write.format("delta").save(settings.table_path("gold", "service_requests_daily"))
    return frame


def file_count(spark, settings) -> int:
    return spark.sql(f"DESCRIBE DETAIL delta.`{settings.table_path('gold', 'service_requests_daily')}`").first()["numFiles"]


def test_optimize_compacts_the_table_keeps_its_rows_and_records_the_run(spark, settings):
    before = small_files_gold(spark, settings)
    assert file_count(spark, settings) == 12

    result = maintenance.optimize(spark, settings, "gold.service_requests_daily")
    maintenance.record_maintenance(spark, settings, RUN, "gold.service_requests_daily", result)

    assert file_count(spark, settings) == 1
    after = lake.read_table(spark, settings, "gold", "service_requests_daily")
    assert sorted(after.collect()) == sorted(before.collect())
    assert (result["files_removed"], result["files_added"], result["delta_version"]) == (12, 1, 1)
    [record] = lake.read_table(spark, settings, "audit", "maintenance").collect()
    assert (record.table_name, record.zorder_by, record.files_removed, record.delta_version) == ("gold.service_requests_daily", "day,borough", 12, 1)

    # A rerun of the same Airflow run: nothing left to compact, and still one audit row for it.
    maintenance.record_maintenance(spark, settings, RUN, "gold.service_requests_daily", maintenance.optimize(spark, settings, "gold.service_requests_daily"))
    assert lake.read_table(spark, settings, "audit", "maintenance").count() == 1


def test_optimize_before_the_first_write_is_a_no_op(spark, settings):
    assert maintenance.optimize(spark, settings, "gold.service_requests_daily") == {"files_removed": 0, "files_added": 0, "delta_version": None}


def test_the_audit_trail_a_run_adds_a_file_to_is_compacted_while_another_run_writes_it(spark, settings):
    """Every DAG writes the audit tables, so no pool keeps a writer away: whichever commit loses retries."""
    import threading

    from tests.test_audit import record_a_run

    for day in range(1, 7):  # six runs, six small files
        run = RunContext(f"scheduled__2022-05-0{day}", "nyc311_daily", "bronze_to_gold", f"2022-05-0{day}")
        with audit.recording(spark, settings, run):
            record_a_run(spark, settings, run, batches=(f"b{day}",))
    path = settings.table_path("audit", "reconciliation")
    assert spark.sql(f"DESCRIBE DETAIL delta.`{path}`").first()["numFiles"] == 6

    late = RunContext("scheduled__2022-05-07", "taxi_daily", "bronze_to_gold", "2022-05-07")
    writer = threading.Thread(target=lambda: record_a_run(spark, settings, late, batches=("b7",)))  # no trail: written at once
    writer.start()
    result = maintenance.optimize(spark, settings, "audit.reconciliation")
    writer.join(timeout=300)
    assert result["files_removed"] >= 6
    rows = lake.read_table(spark, settings, "audit", "reconciliation").collect()
    assert sorted(row.batch_id for row in rows) == [f"b{day}" for day in range(1, 8)]
