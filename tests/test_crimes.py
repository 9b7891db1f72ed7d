"""Chicago crimes on real Delta tables: the real sample's hotspots against pandas; no exact place past bronze."""

from __future__ import annotations

import csv
import math

import numpy as np
import pandas as pd

from jobs.crimes import job
from jobs.settings import PROJECT_ROOT
from tests import pipeline_runs
from tests.test_nyc311_job import table

SAMPLE_CRIMES = PROJECT_ROOT / "tests" / "data" / "chicago_crimes" / "chicago_crimes_2012_socrata10k.csv"
SAMPLE_DAY = "2012-02-14"


def land_and_run(spark, settings, day: str, files, run_id: str = "crimes-run-1") -> None:
    pipeline_runs.land_and_run(spark, settings, job.SOURCE, "crimes_daily", day, files, run_id)


def expected_from_raw_csv(path) -> tuple[pd.DataFrame, dict[str, int]]:
    """``(gold rows, quarantined rows per rule)`` recomputed with pandas from the raw CSV, sharing no code with the job."""
    rows = pd.read_csv(path, dtype=str, keep_default_na=False)
    latitude, longitude = pd.to_numeric(rows["latitude"].replace("", None)), pd.to_numeric(rows["longitude"].replace("", None))
    located = latitude.notna() & longitude.notna()
    inside = latitude.between(41.6, 42.1) & longitude.between(-87.95, -87.5)
    invalid = (rows["latitude"] != "") & ~inside
    duplicate = rows["case_number"].duplicated() & ~invalid
    quarantined = {"coordinates_invalid": int(invalid.sum()), "duplicate_case_in_file": int(duplicate.sum())}
    kept = rows[~invalid & ~duplicate & located].copy()
    with open(PROJECT_ROOT / "jobs" / "reference" / "offence_groups.csv", newline="") as mapping:
        groups = {row["primary_type"]: row["offence_group"] for row in csv.DictReader(mapping)}
    day = pd.to_datetime(kept["date"], format="%Y-%m-%dT%H:%M:%S.%f").dt.normalize()
    kept["week"] = (day - pd.to_timedelta(day.dt.weekday, unit="D")).dt.date.astype(str)
    lat, lon = latitude[kept.index], longitude[kept.index]
    kept["grid_cell"] = np.floor(lat / 0.005).astype(int).astype(str) + "_" + np.floor(lon / 0.0065).astype(int).astype(str)
    kept["offence_group"] = kept["primary_type"].str.upper().map(groups).fillna("other")
    weekly = kept.groupby(["week", "grid_cell", "offence_group"]).size().rename("incidents").reset_index()
    counts = {(row.week, row.grid_cell, row.offence_group): row.incidents for row in weekly.itertuples()}

    def trailing(row) -> float:
        week = pd.Timestamp(row.week)
        return sum(counts.get(((week - pd.Timedelta(weeks=back)).date().isoformat(), row.grid_cell, row.offence_group), 0) for back in range(1, 5)) / 4

    weekly["trailing_4w_mean"] = weekly.apply(trailing, axis=1).round(4)
    same_week = weekly.groupby(["week", "offence_group"])["incidents"]
    spread = same_week.transform("std")
    weekly["z_score"] = ((weekly["incidents"] - same_week.transform("mean")) / spread).where((same_week.transform("size") >= 2) & (spread > 0)).round(4)
    weekly["hotspot"] = (weekly["z_score"] >= 1.96) & (weekly["incidents"] >= 3)
    return weekly.set_index(["week", "grid_cell", "offence_group"]).sort_index(), quarantined


def test_incident_hotspots_on_the_real_sample_match_pandas_and_silver_keeps_no_exact_place(spark, lake):
    land_and_run(spark, lake, SAMPLE_DAY, [SAMPLE_CRIMES])
    expected, quarantined = expected_from_raw_csv(SAMPLE_CRIMES)

    rules = {row.rule_id: row["count"] for row in table(spark, lake, "quarantine.public_safety_incidents").groupBy("rule_id").count().collect()}
    assert rules == {rule: count for rule, count in quarantined.items() if count}
    check = table(spark, lake, "audit.reconciliation").first()
    assert (check.manifest_rows, check.published_rows + check.quarantined_rows, check.balanced) == (10_000, 10_000, True)

    gold = table(spark, lake, "gold.incident_hotspots_weekly").toPandas()
    got = gold.assign(week=gold["week"].astype(str)).set_index(["week", "grid_cell", "offence_group"]).sort_index()
    assert list(got.index) == list(expected.index)
    assert got["incidents"].tolist() == expected["incidents"].tolist()
    assert got["hotspot"].tolist() == expected["hotspot"].tolist() and got["hotspot"].any()
    for column in ("trailing_4w_mean", "z_score"):
        pd.testing.assert_series_equal(got[column], expected[column], check_dtype=False, check_names=False, check_index_type=False, atol=1e-4)
    assert set(gold["theme"]) == {"public safety"}

    # Past bronze a place is a grid cell: no coordinate of the delivery, no block, anywhere in silver or gold.
    silver = table(spark, lake, "silver.public_safety_incidents")
    assert not {"latitude", "longitude", "block", "x_coordinate", "location"} & set(silver.columns + gold.columns.tolist())
    delivered = pd.read_csv(SAMPLE_CRIMES, dtype=str, keep_default_na=False)
    exact = {float(value) for value in delivered["latitude"] if value}
    kept = {row.cell_latitude for row in silver.select("cell_latitude").distinct().collect()} | set(gold["cell_latitude"])
    assert not {value for value in kept if value is not None and not math.isnan(value)} & exact

    # A rerun of the day leaves every table of the source exactly as it was.
    before = pipeline_runs.source_table_rows(spark, lake, job.SOURCE)
    land_and_run(spark, lake, SAMPLE_DAY, [SAMPLE_CRIMES], "crimes-run-2")
    assert pipeline_runs.source_table_rows(spark, lake, job.SOURCE) == before
