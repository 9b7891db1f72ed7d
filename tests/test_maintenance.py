"""Maintenance on real Delta tables: OPTIMIZE/Z-order (fewer files, the same rows) and retention (expired rows deleted, then VACUUM), each with an audit record."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from pyspark.sql import functions as F

from jobs import audit, lake, maintenance, report
from jobs.audit import RunContext
from jobs.declarations import registry

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


def expiring_rows(spark, settings, table_name: str, days: list[date]):
    """Three rows a delivered day, every other declared column NULL, written as the table's writer would:
    bronze created first as the pipeline creates it (append-only, column mapping), then appended to."""
    from jobs.pipeline import BRONZE_PROPERTIES

    table = registry().table(table_name)
    rows = [(day, f"b{day:%m%d}-{row}") for day in days for row in range(3)]
    frame = spark.createDataFrame(rows, "_logical_date date, _batch_id string").select(
        *[F.col(column.name) if column.name in ("_logical_date", "_batch_id") else F.lit(None).cast(column.type).alias(column.name) for column in table.columns]
    )
    if table.zone == "bronze":
        lake.create_table(spark, settings, *table.address, frame.schema, BRONZE_PROPERTIES)
        assert lake_properties(spark, settings, table)["delta.appendOnly"] == "true"
    frame.write.format("delta").mode("append").partitionBy(*table.partition_by).save(settings.table_path(*table.address))


def lake_properties(spark, settings, table) -> dict:
    return spark.sql(f"DESCRIBE DETAIL delta.`{settings.table_path(*table.address)}`").first()["properties"]


def history(spark, settings, table) -> list[str]:
    """The table's operations, newest first; bronze's creation and the retention's lifting of append-only aside."""
    entries = spark.sql(f"DESCRIBE HISTORY delta.`{settings.table_path(*table.address)}`").collect()
    return [entry.operation for entry in entries if entry.operation not in ("CREATE TABLE", "SET TBLPROPERTIES")]


@pytest.mark.parametrize("table_name", ["bronze.social_posts", "quarantine.social_posts"])  # by partition; inside files
def test_retention_deletes_the_rows_delivered_before_the_window_vacuums_and_records_it(spark, settings, table_name):
    days = [date(2022, 5, 1) + timedelta(days=offset) for offset in range(0, 40, 5)]  # 05-01 .. 06-05
    expiring_rows(spark, settings, table_name, days)
    run = RunContext("scheduled__2022-06-05", "lake_maintenance", f"retain_{table_name.replace('.', '_')}", "2022-06-05")
    as_of = date(2022, 6, 10)  # 30 days: rows delivered before 05-11 have expired

    result = maintenance.expire(spark, settings, table_name, as_of)
    maintenance.record_maintenance(spark, settings, run, table_name, result)

    declared = registry().table(table_name)
    zone, table = declared.address
    kept = lake.read_table(spark, settings, zone, table)
    assert sorted({row._logical_date for row in kept.collect()}) == [day for day in days if day >= date(2022, 5, 11)]
    deleted_in = 3 if declared.append_only else 1  # bronze: created, appended to, append-only lifted, DELETE
    assert (result["cutoff"], result["rows_deleted"], result["delta_version"]) == (date(2022, 5, 11), 6, deleted_in)
    assert history(spark, settings, declared) == ["VACUUM END", "VACUUM START", "DELETE", "WRITE"]
    if declared.append_only:  # bronze is append-only again once its expired rows are gone
        assert lake_properties(spark, settings, declared)["delta.appendOnly"] == "true"
    # Delta's own window still holds the deleted files for time travel (7 days): the next week's VACUUM purges them.
    path = settings.table_path(zone, table)
    assert spark.read.format("delta").option("versionAsOf", deleted_in - 1).load(path).count() == 3 * len(days)
    [record] = lake.read_table(spark, settings, "audit", "maintenance").collect()
    assert (record.table_name, record.operation, record.zorder_by, record.delta_version) == (table_name, "RETENTION", None, deleted_in)
    assert (record.retention_days, record.deleted_before, record.rows_deleted, record.oldest_held) == (30, date(2022, 5, 11), 6, date(2022, 5, 11))
    # The auditor's report: the oldest day held against the retention, as of the run.
    page = report.render_index(report.gather_index(spark, settings))
    section = page[page.index('<table id="retention">'):]
    row = re.search(rf"<tr><td>{re.escape(table_name)}</td>(.*?)</tr>", section).group(1)
    assert re.findall(r"<td>(.*?)</td>", row) == ["30", "2022-06-10", "2022-05-11 (30 days old)", "2022-05-11", "6"]
    assert "no retention run yet" in section  # the other tables with a retention

    # The same run again (a retry): nothing more has expired, and the audit row still says what was deleted.
    if declared.append_only:  # as if the first attempt had died between its DELETE and setting append-only again
        spark.sql(f"ALTER TABLE delta.`{path}` SET TBLPROPERTIES ('delta.appendOnly' = 'false')").collect()
    again = maintenance.expire(spark, settings, table_name, as_of)
    if declared.append_only:
        assert lake_properties(spark, settings, declared)["delta.appendOnly"] == "true"
    maintenance.record_maintenance(spark, settings, run, table_name, again)
    assert (again["rows_deleted"], again["delta_version"]) == (0, None)
    [record] = lake.read_table(spark, settings, "audit", "maintenance").collect()
    assert (record.rows_deleted, record.delta_version, record.deleted_before) == (6, deleted_in, date(2022, 5, 11))
    assert history(spark, settings, declared) == ["VACUUM END", "VACUUM START"] * 2 + ["DELETE", "WRITE"]  # no second DELETE
    assert lake.read_table(spark, settings, "audit", "maintenance").count() == 1


def test_a_maintenance_trail_written_before_the_retention_columns_gets_them(spark, settings):
    declared = registry().table("audit.maintenance")
    before = [column for column in declared.columns if column.name not in ("retention_days", "deleted_before", "rows_deleted", "oldest_held")]
    old_row = spark.createDataFrame([("scheduled__2022-05-01", "lake_maintenance", date(2022, 5, 1), "gold.service_requests_daily", "OPTIMIZE", "day,borough", 3, 1, 2, None)],
                                    ", ".join(f"{column.name} {column.type}" for column in before))
    old_row.write.format("delta").save(settings.table_path("audit", "maintenance"))
    expiring_rows(spark, settings, "bronze.social_posts", [date(2022, 5, 1), date(2022, 6, 1)])
    maintenance.record_maintenance(spark, settings, RUN, "bronze.social_posts", maintenance.expire(spark, settings, "bronze.social_posts", date(2022, 6, 10)))
    rows = {row.table_name: row for row in lake.read_table(spark, settings, "audit", "maintenance").collect()}
    assert (rows["gold.service_requests_daily"].rows_deleted, rows["bronze.social_posts"].rows_deleted) == (None, 3)
    assert rows["bronze.social_posts"].oldest_held == date(2022, 6, 1)


def test_an_audit_table_created_before_its_declared_partitioning_is_rewritten_with_it_once_keeping_its_rows(spark, settings):
    """A lake older than the audit tables' ``partition_by: [dag_id]`` keeps working; maintenance moves it to the declared layout."""
    from tests.test_audit import record_a_run

    path = settings.table_path("audit", "reconciliation")
    spark.createDataFrame([], audit.RECONCILIATION_SCHEMA).write.format("delta").save(path)  # as an older lake holds it
    for day, dag_id, batches in ((1, "nyc311_daily", ("b1", "b2")), (2, "taxi_daily", ("b3",))):  # the old layout still takes runs' rows
        record_a_run(spark, settings, RunContext(f"scheduled__2022-05-0{day}", dag_id, "bronze_to_gold", f"2022-05-0{day}"), batches=batches)
    assert lake.partition_columns(spark, settings, "audit", "reconciliation") == ()
    before = sorted(lake.read_table(spark, settings, "audit", "reconciliation").collect())

    assert maintenance.partitioned_as_declared(spark, settings, "audit.reconciliation")
    maintenance.optimize(spark, settings, "audit.reconciliation")

    assert lake.partition_columns(spark, settings, "audit", "reconciliation") == ("dag_id",)
    assert sorted(lake.read_table(spark, settings, "audit", "reconciliation").collect()) == before
    assert not maintenance.partitioned_as_declared(spark, settings, "audit.reconciliation")  # once
    why = spark.sql(f"DESCRIBE HISTORY delta.`{path}`").where("operation = 'WRITE'").orderBy(F.desc("version")).first()["userMetadata"]
    assert why == "maintenance: partitioned by (dag_id) as declared, was ()"
