"""Taxi trips on real Delta tables: the real sample against pandas, both spellings, impossible trips, reruns."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from jobs.landing import LandingError, land_file
from jobs.settings import PROJECT_ROOT
from jobs.taxi import columns as raw
from jobs.taxi import job
from tests import pipeline_runs
from tests.test_nyc311_job import table

SAMPLE_TAXI = PROJECT_ROOT / "tests" / "data" / "nyc_tlc_taxi" / "yellow_tripdata_sample_2019-01.csv"
# The sample is January 2019, as the TLC's monthly file: delivered at the month's end.
SAMPLE_DAY = "2019-01-31"


def land_and_run(spark, settings, day: str, files, run_id: str = "taxi-run-1") -> None:
    pipeline_runs.land_and_run(spark, settings, job.SOURCE, "taxi_daily", day, files, run_id)


def expected_from_raw_csv(path, logical_day: str) -> tuple[pd.DataFrame, dict[str, int]]:
    """``(gold rows, quarantined rows per rule)`` recomputed with pandas from the raw CSV, sharing no code with the job."""
    trips = pd.read_csv(path)
    pickup, dropoff = pd.to_datetime(trips["pickup_datetime"]), pd.to_datetime(trips["dropoff_datetime"])
    seconds = (dropoff - pickup).dt.total_seconds()
    distance = trips["trip_distance"]
    day = pd.Timestamp(logical_day)
    rules = [
        ("zone_unknown", ~trips["pickup_location_id"].between(1, 265) | ~trips["dropoff_location_id"].between(1, 265)),
        ("pickup_out_of_period", (pickup.dt.normalize() < day - pd.Timedelta(days=31)) | (pickup.dt.normalize() > day + pd.Timedelta(days=1))),
        ("dropoff_before_pickup", seconds < 0),
        ("negative_fare", (trips["fare_amount"] < 0) | (trips["total_amount"] < 0)),
        ("negative_distance", distance < 0),
        ("negative_tip", trips["tip_amount"] < 0),
        ("zero_distance_long_duration", (distance == 0) & (seconds > 600)),
        ("speed_over_100mph", (distance > 0) & ((seconds == 0) | (distance * 3600 > 100 * seconds))),
    ]
    broken = pd.Series(None, index=trips.index, dtype=object)
    for rule, breaks in reversed(rules):  # the first rule a trip breaks names it
        broken[breaks] = rule
    duplicate = trips.duplicated() & broken.isna()
    broken[duplicate] = "duplicate_trip_in_file"
    kept = trips[broken.isna()].assign(
        day=pickup[broken.isna()].dt.date.astype(str),
        minutes=seconds[broken.isna()] / 60,
        speed=np.where(seconds[broken.isna()] > 0, distance[broken.isna()] * 3600 / seconds[broken.isna()].where(seconds > 0), np.nan),
        card=(trips["payment_type"][broken.isna()] == 1).astype(float),
    )
    grouped = kept.groupby(["day", "pickup_location_id"])
    gold = pd.DataFrame(
        {
            "trips": grouped.size(),
            "median_duration_minutes": grouped["minutes"].median().round(4),
            "median_speed_mph": grouped["speed"].median().round(4),
            "fare_per_mile": (grouped["fare_amount"].sum() / grouped["trip_distance"].sum()).where(grouped["trip_distance"].sum() > 0).round(4),
            "card_share": grouped["card"].mean().round(4),
        }
    )
    gold.index.names = ["day", "pickup_zone"]
    return gold.sort_index(), broken.value_counts().to_dict()


def test_gold_mobility_daily_on_the_real_sample_matches_pandas_and_impossible_trips_are_quarantined(spark, lake):
    land_and_run(spark, lake, SAMPLE_DAY, [SAMPLE_TAXI])
    expected_gold, expected_quarantine = expected_from_raw_csv(SAMPLE_TAXI, SAMPLE_DAY)

    quarantined = table(spark, lake, "quarantine.taxi_trips").groupBy("rule_id").count().collect()
    assert {row.rule_id: row["count"] for row in quarantined} == expected_quarantine
    assert {"negative_fare", "speed_over_100mph", "zero_distance_long_duration"} <= set(expected_quarantine)
    check = table(spark, lake, "audit.reconciliation").first()
    assert (check.manifest_rows, check.bronze_rows, check.balanced) == (10_000, 10_000, True)
    assert check.quarantined_rows == sum(expected_quarantine.values())

    gold = table(spark, lake, "gold.mobility_daily").toPandas()
    assert set(gold["theme"]) == {"transport"}
    got = gold.assign(day=gold["day"].astype(str)).set_index(["day", "pickup_zone"]).sort_index()
    assert list(got.index) == list(expected_gold.index)
    assert got["trips"].tolist() == expected_gold["trips"].tolist()
    for column in ("median_duration_minutes", "median_speed_mph", "fare_per_mile", "card_share"):
        pd.testing.assert_series_equal(got[column], expected_gold[column], check_dtype=False, check_names=False, check_index_type=False, atol=1e-4)
    failed = table(spark, lake, "audit.dq_results").where("NOT success AND severity = 'critical'").count()
    assert failed == 0


def test_the_same_trips_as_csv_and_as_tlc_parquet_are_one_silver_row_each(spark, lake, tmp_path):
    sample = pd.read_csv(SAMPLE_TAXI).head(500)
    csv_file = tmp_path / "yellow_sample.csv"
    sample.to_csv(csv_file, index=False)
    parquet = sample.rename(columns=raw.TLC_NAMES)
    for column in ("tpep_pickup_datetime", "tpep_dropoff_datetime"):
        parquet[column] = pd.to_datetime(parquet[column])
    parquet["Airport_fee"] = 0.0
    parquet_file = tmp_path / "yellow_tripdata_2019-01.parquet"
    parquet.to_parquet(parquet_file, index=False, coerce_timestamps="us")  # as the TLC writes them
    land_and_run(spark, lake, SAMPLE_DAY, [csv_file, parquet_file])

    checks = {row.source_file: row for row in table(spark, lake, "audit.reconciliation").collect()}
    assert {name: (row.manifest_rows, row.balanced) for name, row in checks.items()} == {csv_file.name: (500, True), parquet_file.name: (500, True)}
    published = checks[csv_file.name].published_rows
    assert checks[parquet_file.name].published_rows == published > 400
    # Both spellings give every trip the same id: the Parquet file's rows MERGEd onto the CSV's.
    trips = table(spark, lake, "silver.taxi_trips")
    assert trips.count() == published
    assert {row.source_file for row in trips.select("source_file").distinct().collect()} == {parquet_file.name}
    assert table(spark, lake, "gold.mobility_daily").groupBy().sum("trips").first()[0] == published
    assert {"PULocationID", "pickup_location_id"} <= set(table(spark, lake, "bronze.tlc_yellow_trips").columns)
    drift = [row.success for row in table(spark, lake, "audit.dq_results").where("suite = 'delivery_columns'").collect()]
    assert drift == [True, True]


def test_a_file_of_the_wrong_shape_is_refused_naming_the_missing_columns(settings, tmp_path):
    wrong = tmp_path / "not_taxi.csv"
    shutil.copyfile(PROJECT_ROOT / "tests" / "data" / "nyc_311" / "nyc311_2022-05-01_first924.csv", wrong)
    with pytest.raises(LandingError, match=r"not_taxi.csv: header lacks required column\(s\) \['vendor_id', 'pickup_datetime'"):
        land_file(settings, raw.SOURCE, SAMPLE_DAY, wrong, raw.REQUIRED_COLUMNS)
