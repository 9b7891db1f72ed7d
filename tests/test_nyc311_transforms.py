"""Unit tests of the 311 business rules, on small DataFrames with an explicit schema."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from pyspark.sql import Row

from jobs.nyc311 import columns as raw
from jobs.nyc311 import transforms

METADATA = ("_corrupt_record", "_source_file", "_batch_id", "_logical_date")


def bronze_batch(spark, rows: list[dict]):
    """A bronze batch: every delivered column a string, plus bronze's metadata columns."""
    defaults = {
        raw.UNIQUE_KEY: "1",
        raw.CREATED_DATE: "05/01/2022 10:00:00 AM",
        raw.CLOSED_DATE: "",
        raw.AGENCY: "NYPD",
        raw.COMPLAINT_TYPE: "Noise - Residential",
        raw.DESCRIPTOR: "Loud Music/Party",
        raw.STATUS: "In Progress",
        raw.BOROUGH: "BROOKLYN",
        raw.INCIDENT_ZIP: "11201",
        raw.COMMUNITY_BOARD: "02 BROOKLYN",
        raw.CHANNEL: "ONLINE",
        raw.RESOLUTION_UPDATED: "",
        raw.LATITUDE: "40.6925",
        raw.LONGITUDE: "-73.9903",
    }
    schema = ", ".join(f"`{name}` string" for name in [*raw.PORTAL_COLUMNS, "_corrupt_record", "_source_file", "_batch_id"])
    schema += ", _logical_date date"
    data = [
        tuple({**defaults, **row}.get(name) for name in raw.PORTAL_COLUMNS)
        + (row.get("_corrupt_record"), "f.csv", "b1", date(2022, 5, 1))
        for row in rows
    ]
    return spark.createDataFrame(data, schema)


def split(spark, rows):
    typed = transforms.typed_requests(bronze_batch(spark, rows))
    published, quarantined = transforms.split_by_row_rules(typed)
    return published, quarantined


def test_timestamps_are_converted_from_new_york_time_to_utc_and_keep_the_city_day(spark):
    published, _ = split(spark, [{raw.CREATED_DATE: "05/01/2022 11:30:00 PM", raw.CLOSED_DATE: "05/02/2022 12:15:00 AM"}])
    row = published.first()
    # EDT is UTC-4 in May.
    assert row.created_at == datetime(2022, 5, 2, 3, 30)
    assert row.closed_at == datetime(2022, 5, 2, 4, 15)
    assert row.created_date == date(2022, 5, 1)
    assert row.closed_date == date(2022, 5, 2)


def test_boroughs_are_canonical_and_themes_come_from_the_mapping(spark):
    published, _ = split(
        spark,
        [
            {raw.UNIQUE_KEY: "1", raw.BOROUGH: "STATEN ISLAND", raw.COMPLAINT_TYPE: "Illegal Parking"},
            {raw.UNIQUE_KEY: "2", raw.BOROUGH: "Unspecified", raw.COMPLAINT_TYPE: "Rodent"},
            {raw.UNIQUE_KEY: "3", raw.BOROUGH: "", raw.COMPLAINT_TYPE: "Something New"},
            {raw.UNIQUE_KEY: "4", raw.BOROUGH: "bronx", raw.COMPLAINT_TYPE: "Noise - Vehicle"},
        ],
    )
    got = {row.request_id: (row.borough, row.theme) for row in published.collect()}
    assert got == {
        1: ("Staten Island", "transport"),
        2: ("Unspecified", "waste and sanitation"),
        3: ("Unspecified", "other"),
        4: ("Bronx", "noise"),
    }


@pytest.mark.parametrize(
    ("row", "rule"),
    [
        ({raw.UNIQUE_KEY: ""}, "key_missing"),
        ({raw.UNIQUE_KEY: "12a"}, "key_missing"),
        ({raw.CREATED_DATE: "2022-05-01 10:00"}, "created_unparseable"),
        ({raw.CLOSED_DATE: "yesterday"}, "closed_unparseable"),
        ({raw.CLOSED_DATE: "05/01/2022 09:00:00 AM"}, "closed_before_created"),
        ({raw.LATITUDE: "51.5", raw.LONGITUDE: "-0.12"}, "coordinates_invalid"),
        ({raw.LATITUDE: "north", raw.LONGITUDE: "-73.99"}, "coordinates_invalid"),
        ({raw.LATITUDE: "40.7", raw.LONGITUDE: ""}, "coordinates_invalid"),
        ({"_corrupt_record": "1,2,3"}, "malformed_row"),
    ],
)
def test_a_row_breaking_a_rule_is_quarantined_with_its_rule_and_reason(spark, row, rule):
    published, quarantined = split(spark, [row])
    assert published.count() == 0
    bad = quarantined.first()
    assert bad.rule_id == rule
    assert bad.reason == transforms.ROW_RULES[rule]
    assert bad.raw_record  # the row as delivered, for replay
    assert (bad._source_file, bad._batch_id) == ("f.csv", "b1")


def test_missing_coordinates_are_allowed_and_published_coordinates_are_coarsened(spark):
    published, quarantined = split(
        spark,
        [
            {raw.UNIQUE_KEY: "1", raw.LATITUDE: "", raw.LONGITUDE: ""},
            {raw.UNIQUE_KEY: "2", raw.LATITUDE: "40.712776", raw.LONGITUDE: "-74.005974"},
        ],
    )
    assert quarantined.count() == 0
    silver = {row.request_id: (row.latitude, row.longitude) for row in transforms.service_requests(published).collect()}
    assert silver == {1: (None, None), 2: (40.713, -74.006)}
    assert "latitude_precise" not in transforms.service_requests(published).columns


def test_duplicate_keys_in_one_file_keep_the_latest_version_and_quarantine_the_rest(spark):
    published, quarantined = split(
        spark,
        [
            {raw.UNIQUE_KEY: "7", raw.STATUS: "In Progress"},
            {
                raw.UNIQUE_KEY: "7",
                raw.STATUS: "Closed",
                raw.CLOSED_DATE: "05/01/2022 11:00:00 AM",
                raw.RESOLUTION_UPDATED: "05/01/2022 11:00:05 AM",
            },
            {raw.UNIQUE_KEY: "8"},
        ],
    )
    assert sorted((row.request_id, row.status) for row in published.collect()) == [(7, "Closed"), (8, "In Progress")]
    assert [(row.unique_key, row.rule_id) for row in quarantined.collect()] == [("7", "duplicate_key_in_file")]


def test_a_broken_copy_of_a_request_never_outranks_its_valid_version(spark):
    # The broken copy's raw row sorts first (a "9" latitude after "4"): it must not make the good one a duplicate.
    published, quarantined = split(spark, [{raw.UNIQUE_KEY: "7"}, {raw.UNIQUE_KEY: "7", raw.LATITUDE: "90.0"}])
    assert [row.request_id for row in published.collect()] == [7]
    assert [row.rule_id for row in quarantined.collect()] == ["coordinates_invalid"]


def test_every_input_row_is_either_published_or_quarantined(spark):
    rows = [{raw.UNIQUE_KEY: str(key)} for key in range(20)] + [{raw.UNIQUE_KEY: "3"}, {raw.UNIQUE_KEY: ""}, {raw.CREATED_DATE: "x"}]
    published, quarantined = split(spark, rows)
    assert published.count() + quarantined.count() == len(rows)


def silver_rows(spark, rows):
    """Silver-shaped rows for the gold tests: (id, borough, theme, created_at, closed_at) in UTC."""
    data = [
        Row(
            request_id=request_id,
            borough=borough,
            theme=theme,
            created_at=created,
            closed_at=closed,
            created_date=created.date(),
            closed_date=closed.date() if closed else None,
        )
        for request_id, borough, theme, created, closed in rows
    ]
    schema = "request_id long, borough string, theme string, created_at timestamp, closed_at timestamp, created_date date, closed_date date"
    return spark.createDataFrame(data, schema)


def test_daily_gold_counts_opened_closed_median_and_still_open(spark):
    silver = silver_rows(
        spark,
        [
            (1, "Bronx", "noise", datetime(2022, 5, 1, 10), datetime(2022, 5, 1, 11)),  # 1 h
            (2, "Bronx", "noise", datetime(2022, 5, 1, 12), datetime(2022, 5, 1, 15)),  # 3 h
            (3, "Bronx", "noise", datetime(2022, 5, 1, 13), datetime(2022, 5, 3, 13)),  # closes two days later: 48 h
            (4, "Bronx", "noise", datetime(2022, 5, 2, 9), None),
            (5, "Queens", "transport", datetime(2022, 4, 30, 9), None),  # opened before the window
        ],
    )
    gold = transforms.service_requests_daily(silver, date(2022, 5, 1), date(2022, 5, 3))
    got = {(row.day, row.borough, row.theme): row for row in gold.collect()}
    may1, may2, may3 = date(2022, 5, 1), date(2022, 5, 2), date(2022, 5, 3)
    bronx = {day: got[(day, "Bronx", "noise")] for day in (may1, may2, may3)}
    assert (bronx[may1].requests_opened, bronx[may1].requests_closed, bronx[may1].still_open_end_of_day) == (3, 2, 1)
    assert bronx[may1].median_hours_to_close == pytest.approx(2.0)
    assert (bronx[may2].requests_opened, bronx[may2].requests_closed, bronx[may2].still_open_end_of_day) == (1, 0, 2)
    assert bronx[may2].median_hours_to_close is None
    assert (bronx[may3].requests_opened, bronx[may3].requests_closed, bronx[may3].still_open_end_of_day) == (0, 1, 1)
    assert bronx[may3].median_hours_to_close == pytest.approx(48.0)
    # Queens has no event in the window but one request open since April 30th, on every day.
    assert [got[(day, "Queens", "transport")].still_open_end_of_day for day in (may1, may2, may3)] == [1, 1, 1]
    assert {day for day, _, _ in got} == {may1, may2, may3}


def test_days_touched_spans_created_and_closed_days(spark):
    silver = silver_rows(spark, [(1, "Bronx", "noise", datetime(2022, 5, 1, 10), datetime(2022, 5, 4, 1)), (2, "Bronx", "noise", datetime(2022, 4, 29, 10), None)])
    assert transforms.days_touched(silver) == (date(2022, 4, 29), date(2022, 5, 4))
