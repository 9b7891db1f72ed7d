"""Real inputs that broke a run (issue #16), each through landing and the Spark job on real Delta tables.

- a TLC file from 2020 on: voided and refunded trips with a negative distance or tip;
- a 311 CSV saved with a UTF-8 byte-order mark;
- a gzip-compressed 311 export (``.csv.gz``);
- a 311 record with a 2 MB free-text field (Python's csv refuses fields over 128 KiB by default).

Then the Spark tier of the bad-input catalogue (tests/test_bad_input_catalogue.py is its landing tier): the
kinds that land, through the 311 job. The 311 files above and the catalogue's share one day's run.
"""

from __future__ import annotations

import gzip

import pandas as pd
import pytest

from jobs import lake as lake_tables
from jobs.landing import delivery_format, manifest_entries
from jobs.nyc311 import columns as nyc311_columns
from jobs.nyc311 import job
from jobs.synthetic import nyc311 as generator_311
from jobs.taxi import transforms as taxi_transforms
from tests import pipeline_runs
from tests import test_taxi as taxi_runs
from tests.bad_input import kinds as make
from tests.bad_input.kinds import Delivery
from tests.conftest import SAMPLE_311, make_settings, point_catalog_at
from tests.test_bad_input_catalogue import CATALOGUE, DAY
from tests.test_nyc311_job import sample_rows, table, write_csv

UTF8_BOM = b"\xef\xbb\xbf"
# The catalogue's kinds that land, each made from a generated 311 portal export of 30 records.
LANDING_KINDS = [kind["kind"] for kind in CATALOGUE if "lands" in kind and "csv" in kind["formats"]]
# The sample as delivered, and the real 311 inputs made from it.
PLAIN, WITH_BOM, COMPRESSED, LONG_FIELD = SAMPLE_311.name, "nyc311_bom.csv", "erm2-nwe9_2022-05-01.csv.gz", "nyc311_long_field.csv"
# A pasted log: commas, quotes and line breaks, so the field is quoted over many lines.
LONG_TEXT = ('Caller said: "the noise, again"\n' * 70_000)[: 2 * 1024 * 1024]
LONG_ROW = 3  # of the sample's first 20 rows


@pytest.fixture(scope="module")
def bad_311_run(spark, tmp_path_factory):
    """One 311 day of every bad file that lands, in one run (a run of the job is 12-16 s however small its
    files): the catalogue's kinds, and the real inputs above with the plain sample as their reference.

    The four files made from the sample hold the same requests (none of the generated ones): a test reads
    its own file's rows by the file's name, in silver as of the version that file's MERGE made."""
    root = tmp_path_factory.mktemp("bad-311")
    (path,) = generator_311.write_range(root / "generated", DAY, DAY, 30, defect_share=0.0, shape="portal")
    good = Delivery("nyc_311", "portal", path)
    files = []
    for kind in LANDING_KINDS:
        name, data = getattr(make, kind)(good)
        files.append(root / f"{kind}-{name}")
        files[-1].write_bytes(data)
    (root / WITH_BOM).write_bytes(UTF8_BOM + SAMPLE_311.read_bytes())
    (root / COMPRESSED).write_bytes(gzip.compress(SAMPLE_311.read_bytes(), mtime=0))
    header, rows = sample_rows(20)
    rows[LONG_ROW][header.index("Resolution Description")] = LONG_TEXT
    write_csv(root / LONG_FIELD, header, rows)
    files += [SAMPLE_311, root / WITH_BOM, root / COMPRESSED, root / LONG_FIELD]

    settings = make_settings(root / "state")
    point_catalog_at(spark, settings)
    pipeline_runs.land_and_run(spark, settings, job.SOURCE, "nyc311_daily", DAY.isoformat(), files, "catalogue-run")
    return settings, files


@pytest.fixture
def bad_311(spark, bad_311_run):
    """The module's 311 lake, the session's catalog pointed at it again (other tests point it elsewhere)."""
    point_catalog_at(spark, bad_311_run[0])
    return bad_311_run


def silver_requests(spark, settings, file_name: str) -> list[dict]:
    """Silver 311 rows without lineage (which names the file), by request: those of ``file_name`` in silver as
    its MERGE left it (the day's later files hold the same requests)."""
    (version,) = [
        row.delta_version for row in table(spark, settings, "audit.publications").collect()
        if row.table_name == "silver.service_requests" and row.source_files == [file_name]
    ]
    silver = spark.read.format("delta").option("versionAsOf", version).load(settings.table_path("silver", "service_requests"))
    columns = [name for name in silver.columns if name not in ("source_file", "batch_id")]
    return [row.asDict() for row in silver.where(silver.source_file == file_name).select(*columns).orderBy("request_id").collect()]


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


def test_a_311_csv_with_a_utf8_byte_order_mark_lands_and_gives_the_same_silver_rows(spark, bad_311):
    lake, files = bad_311
    with_bom = next(path for path in files if path.name == WITH_BOM)

    (entry,) = [entry for entry in manifest_entries(lake, nyc311_columns.SOURCE, DAY.isoformat()) if entry.file_name == WITH_BOM]
    assert entry.columns[0] == "Unique Key"
    # Landing still keeps the delivered bytes, mark included.
    assert open(entry.landed_path, "rb").read() == with_bom.read_bytes()
    # Spark read the header without the mark too: bronze has no "\ufeffUnique Key" column beside "Unique Key".
    assert not [name for name in table(spark, lake, "bronze.nyc311_service_requests").columns if name.startswith("\ufeff")]
    check = reconciliation_of(spark, lake, WITH_BOM)
    assert (check.manifest_rows, check.bronze_rows, check.published_rows, check.quarantined_rows, check.balanced) == (924, 924, 924, 0, True)
    # Every request was replaced by the marked file's row (MERGE), with the same values as the plain file's.
    without_bom = silver_requests(spark, lake, PLAIN)
    assert len(without_bom) == 924
    assert silver_requests(spark, lake, WITH_BOM) == without_bom


def test_a_gzipped_311_export_lands_and_gives_the_plain_files_silver_rows(spark, bad_311):
    lake, files = bad_311
    compressed = next(path for path in files if path.name == COMPRESSED)
    _, plain_rows = sample_rows()

    (entry,) = [entry for entry in manifest_entries(lake, nyc311_columns.SOURCE, DAY.isoformat()) if entry.file_name == COMPRESSED]
    assert (entry.rows, entry.size_bytes, entry.columns[0]) == (len(plain_rows), compressed.stat().st_size, "Unique Key")
    assert open(entry.landed_path, "rb").read() == compressed.read_bytes()  # landed as delivered, compressed
    check = reconciliation_of(spark, lake, compressed.name)
    assert (check.manifest_rows, check.bronze_rows, check.published_rows, check.balanced) == (len(plain_rows), len(plain_rows), len(plain_rows), True)
    assert len(silver_requests(spark, lake, COMPRESSED)) == len(plain_rows) == 924
    # The pipeline reads a landed file by the format this names; Spark decompresses by the ".gz" itself.
    assert (delivery_format(entry.landed_path), delivery_format("erm2-nwe9.json.gz"), delivery_format("erm2-nwe9.GZ")) == ("csv", "json", "csv")


def test_a_record_with_a_2mb_text_field_does_not_fail_the_days_file(spark, bad_311):
    lake, _ = bad_311
    header, rows = sample_rows(20)
    request_id = rows[LONG_ROW][header.index(nyc311_columns.UNIQUE_KEY)]

    (entry,) = [entry for entry in manifest_entries(lake, nyc311_columns.SOURCE, DAY.isoformat()) if entry.file_name == LONG_FIELD]
    assert entry.rows == 20
    check = reconciliation_of(spark, lake, LONG_FIELD)
    assert (check.manifest_rows, check.bronze_rows, check.published_rows, check.balanced) == (20, 20, 20, True)
    bronze = table(spark, lake, "bronze.nyc311_service_requests").where(f"`Unique Key` = '{request_id}' AND _source_file = '{LONG_FIELD}'").first()
    assert bronze["Resolution Description"] == LONG_TEXT
    assert [row["request_id"] for row in silver_requests(spark, lake, LONG_FIELD)].count(int(request_id)) == 1


def test_what_landing_accepts_the_job_publishes_or_quarantines_and_every_file_reconciles(spark, bad_311):
    """The Spark tier for the catalogue's kinds that land, on the 311 portal export: one day, each kind its own file.

    Every file's records are published or quarantined (raw = published + quarantined), the day's run
    publishes (drift is a warning), and only the torn record of the cut-off file and the two ragged
    records are quarantined, as malformed rows (the sample's files, in the same run, quarantine none).
    """
    lake, files = bad_311
    by_file = {row.source_file: row for row in lake_tables.read_table(spark, lake, "audit", "reconciliation").collect()}
    assert sorted(by_file) == sorted(path.name for path in files)
    checks = {name.split("-", 1)[0]: check for name, check in by_file.items() if name.split("-", 1)[0] in LANDING_KINDS}
    assert sorted(checks) == sorted(LANDING_KINDS)
    assert all(check.balanced and check.manifest_rows == 30 for check in checks.values()), checks
    quarantined = {kind: check.quarantined_rows for kind, check in checks.items() if check.quarantined_rows}
    assert quarantined == {"truncated_file": 1, "ragged_rows": 2}
    rules = [row.rule_id for row in lake_tables.read_table(spark, lake, "quarantine", "service_requests").collect()]
    assert rules == ["malformed_row"] * 3
