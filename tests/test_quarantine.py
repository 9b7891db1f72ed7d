"""Quarantined rows go out for fixing and come back as a new delivery that publishes them."""

from __future__ import annotations

import csv

import pytest

from jobs import lake, quarantine
from jobs.landing import LandingError, deliveries
from jobs.nyc311 import columns as raw
from tests.test_nyc311_job import land_and_run, sample_rows, write_csv

DAY = "2022-05-01"


def test_export_fix_and_replay_publishes_the_fixed_rows_and_keeps_the_trail(spark, settings, tmp_path):
    header, rows = sample_rows(40)
    position = {name: index for index, name in enumerate(header)}
    as_delivered = {row[position[raw.UNIQUE_KEY]]: dict(zip(header, row)) for row in rows[:2]}
    rows[0][position[raw.CREATED_DATE]] = "2022-05-01 10:00"  # unparseable
    rows[1][position[raw.LATITUDE]] = "48.85"  # outside the city
    broken_ids = set(as_delivered)
    dirty = write_csv(tmp_path / "nyc311_dirty.csv", header, rows, extra_lines=["123,only,three"])
    land_and_run(spark, settings, DAY, [dirty])
    assert lake.read_table(spark, settings, "silver", "service_requests").count() == 38

    exported = tmp_path / "fixes.csv"
    written, malformed = quarantine.export(spark, settings, raw.SOURCE, DAY, exported)
    assert (written, malformed) == (2, ["123,only,three"])
    with open(exported, newline="") as fixes:
        reader = csv.DictReader(fixes)
        assert reader.fieldnames == header  # the delivered header, every column in order
        fixed = list(reader)
    assert {row[raw.UNIQUE_KEY] for row in fixed} == broken_ids
    for row in fixed:  # the fix: what the source should have sent
        row[raw.CREATED_DATE] = as_delivered[row[raw.UNIQUE_KEY]][raw.CREATED_DATE]
        row[raw.LATITUDE] = as_delivered[row[raw.UNIQUE_KEY]][raw.LATITUDE]
    with open(exported, "w", newline="") as fixes:
        writer = csv.DictWriter(fixes, fieldnames=header)
        writer.writeheader()
        writer.writerows(fixed)

    delivered = quarantine.replay(settings, raw.SOURCE, DAY, exported)
    assert delivered in deliveries(settings, raw.SOURCE, DAY)
    # What the DAG's rerun of the day does: land what was delivered, then the Spark job.
    land_and_run(spark, settings, DAY, [dirty, delivered], run_id="run-replay")

    silver = lake.read_table(spark, settings, "silver", "service_requests")
    assert silver.count() == 40
    assert {str(row.request_id) for row in silver.where(f"source_file = '{delivered.name}'").collect()} == broken_ids
    # The original quarantine stays; the replayed batch reconciles on its own.
    assert lake.read_table(spark, settings, "quarantine", "service_requests").count() == 3
    checks = {row.source_file: row for row in lake.read_table(spark, settings, "audit", "reconciliation").where("run_id = 'run-replay'").collect()}
    assert (checks[delivered.name].manifest_rows, checks[delivered.name].published_rows, checks[delivered.name].balanced) == (2, 2, True)


def test_a_replay_file_without_the_required_columns_is_refused(settings, tmp_path):
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("a,b\n1,2\n")
    with pytest.raises(LandingError, match="wrong.csv"):
        quarantine.replay(settings, raw.SOURCE, DAY, wrong)
    with pytest.raises(ValueError, match="unknown source 'nowhere'"):
        quarantine.replay(settings, "nowhere", DAY, wrong)
