"""Real inputs that broke a run (issue #16), each through landing and the Spark job on real Delta tables.

- a TLC file from 2020 on: voided and refunded trips with a negative distance or tip;
- a 311 CSV saved with a UTF-8 byte-order mark;
- a gzip-compressed 311 export (``.csv.gz``);
- a 311 record with a 2 MB free-text field (Python's csv refuses fields over 128 KiB by default).
"""

from __future__ import annotations

import gzip

import pandas as pd

from jobs.landing import delivery_format, manifest_entries
from jobs.nyc311 import columns as nyc311_columns
from jobs.taxi import transforms as taxi_transforms
from tests import test_nyc311_job as nyc311_runs
from tests import test_taxi as taxi_runs
from tests.conftest import SAMPLE_311
from tests.test_nyc311_job import sample_rows, table, write_csv

UTF8_BOM = b"\xef\xbb\xbf"


def silver_requests(spark, settings) -> list[dict]:
    """Silver 311 rows without lineage (which names the file), by request."""
    silver = table(spark, settings, "silver.service_requests")
    columns = [name for name in silver.columns if name not in ("source_file", "batch_id")]
    return [row.asDict() for row in silver.select(*columns).orderBy("request_id").collect()]


def reconciliation_of(spark, settings, file_name: str):
    return table(spark, settings, "audit.reconciliation").where(f"source_file = '{file_name}'").first()


def test_voided_trips_with_a_negative_distance_or_tip_are_quarantined_and_gold_publishes(spark, lake, tmp_path):
    sample = pd.read_csv(taxi_runs.SAMPLE_TAXI).head(300)
    minutes = (pd.to_datetime(sample["dropoff_datetime"]) - pd.to_datetime(sample["pickup_datetime"])).dt.total_seconds() / 60
    ordinary = sample.index[(sample["fare_amount"] > 0) & (sample["total_amount"] > 0) & (sample["trip_distance"] > 0.5) & minutes.between(5, 60)]
    voided, refunded_tip = ordinary[0], ordinary[1]
    # The voided trip alone in its zone: were it published, its zone's median speed would be negative,
    # which gold's critical range check refuses, blocking the whole gold batch.
    lonely_zone = next(zone for zone in range(1, 264) if zone not in set(sample["pickup_location_id"]))
    sample.loc[voided, "trip_distance"] = -3.2
    sample.loc[voided, "pickup_location_id"] = lonely_zone
    sample.loc[refunded_tip, "tip_amount"] = -2.0
    delivery = tmp_path / "yellow_tripdata_2020-style.csv"
    sample.to_csv(delivery, index=False)

    taxi_runs.land_and_run(spark, lake, taxi_runs.SAMPLE_DAY, [delivery])

    assert table(spark, lake, "audit.dq_results").where("NOT success AND severity = 'critical'").count() == 0
    quarantine = table(spark, lake, "quarantine.taxi_trips")
    _, expected_per_rule = taxi_runs.expected_from_raw_csv(delivery, taxi_runs.SAMPLE_DAY)
    assert {row.rule_id: row["count"] for row in quarantine.groupBy("rule_id").count().collect()} == expected_per_rule
    quarantined = {row.rule_id: row for row in quarantine.where("rule_id IN ('negative_distance', 'negative_tip')").collect()}
    for rule in ("negative_distance", "negative_tip"):
        assert quarantined[rule].reason == taxi_transforms.ROW_RULES[rule]
        assert quarantined[rule]._source_file == delivery.name
    assert '"trip_distance":"-3.2"' in quarantined["negative_distance"].raw_record
    check = reconciliation_of(spark, lake, delivery.name)
    assert check.manifest_rows == check.bronze_rows == len(sample)
    assert (check.published_rows + check.quarantined_rows, check.balanced) == (len(sample), True)
    silver = table(spark, lake, "silver.taxi_trips")
    assert silver.where("trip_distance_miles < 0 OR tip_amount < 0").count() == 0
    # Gold is published, without the voided trip's zone.
    gold = table(spark, lake, "gold.mobility_daily")
    assert gold.groupBy().sum("trips").first()[0] == silver.count() == check.published_rows
    assert gold.where(f"pickup_zone = {lonely_zone}").count() == 0


def test_a_311_csv_with_a_utf8_byte_order_mark_lands_and_gives_the_same_silver_rows(spark, lake, tmp_path):
    nyc311_runs.land_and_run(spark, lake, "2022-05-01", [SAMPLE_311])
    without_bom = silver_requests(spark, lake)
    with_bom = tmp_path / "nyc311_2022-05-02_bom.csv"
    with_bom.write_bytes(UTF8_BOM + SAMPLE_311.read_bytes())

    nyc311_runs.land_and_run(spark, lake, "2022-05-02", [with_bom], run_id="run-bom")

    (entry,) = manifest_entries(lake, nyc311_columns.SOURCE, "2022-05-02")
    assert entry.columns[0] == "Unique Key"
    # Landing still keeps the delivered bytes, mark included.
    assert open(entry.landed_path, "rb").read() == with_bom.read_bytes()
    # Spark read the header without the mark too: bronze has no "\ufeffUnique Key" column beside "Unique Key".
    assert not [name for name in table(spark, lake, "bronze.nyc311_service_requests").columns if name.startswith("\ufeff")]
    check = reconciliation_of(spark, lake, with_bom.name)
    assert (check.manifest_rows, check.bronze_rows, check.published_rows, check.quarantined_rows, check.balanced) == (924, 924, 924, 0, True)
    # Every request was replaced by the marked file's row (MERGE), with the same values.
    assert {row.source_file for row in table(spark, lake, "silver.service_requests").select("source_file").distinct().collect()} == {with_bom.name}
    assert silver_requests(spark, lake) == without_bom


def test_a_gzipped_311_export_lands_and_gives_the_plain_files_silver_rows(spark, lake, tmp_path):
    compressed = tmp_path / "erm2-nwe9_2022-05-01.csv.gz"
    compressed.write_bytes(gzip.compress(SAMPLE_311.read_bytes(), mtime=0))
    _, plain_rows = sample_rows()

    nyc311_runs.land_and_run(spark, lake, "2022-05-01", [compressed])

    (entry,) = manifest_entries(lake, nyc311_columns.SOURCE, "2022-05-01")
    assert (entry.rows, entry.size_bytes, entry.columns[0]) == (len(plain_rows), compressed.stat().st_size, "Unique Key")
    assert open(entry.landed_path, "rb").read() == compressed.read_bytes()  # landed as delivered, compressed
    check = reconciliation_of(spark, lake, compressed.name)
    assert (check.manifest_rows, check.bronze_rows, check.published_rows, check.balanced) == (len(plain_rows), len(plain_rows), len(plain_rows), True)
    assert table(spark, lake, "silver.service_requests").count() == len(plain_rows) == 924
    # The pipeline reads a landed file by the format this names; Spark decompresses by the ".gz" itself.
    assert (delivery_format(entry.landed_path), delivery_format("erm2-nwe9.json.gz"), delivery_format("erm2-nwe9.GZ")) == ("csv", "json", "csv")


def test_a_record_with_a_2mb_text_field_does_not_fail_the_days_file(spark, lake, tmp_path):
    header, rows = sample_rows(20)
    description = header.index("Resolution Description")
    # A pasted log: commas, quotes and line breaks, so the field is quoted over many lines.
    long_text = ('Caller said: "the noise, again"\n' * 70_000)[: 2 * 1024 * 1024]
    rows[3][description] = long_text
    request_id = rows[3][header.index(nyc311_columns.UNIQUE_KEY)]
    delivery = write_csv(tmp_path / "nyc311_long_field.csv", header, rows)

    nyc311_runs.land_and_run(spark, lake, "2022-05-01", [delivery])

    (entry,) = manifest_entries(lake, nyc311_columns.SOURCE, "2022-05-01")
    assert entry.rows == 20
    check = reconciliation_of(spark, lake, delivery.name)
    assert (check.manifest_rows, check.bronze_rows, check.published_rows, check.balanced) == (20, 20, 20, True)
    bronze = table(spark, lake, "bronze.nyc311_service_requests").where(f"`Unique Key` = '{request_id}'").first()
    assert bronze["Resolution Description"] == long_text
    assert table(spark, lake, "silver.service_requests").where(f"request_id = {request_id}").count() == 1
