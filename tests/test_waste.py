"""DSNY tonnage on real Delta tables: the real sample's gold against pandas, bad rows, late corrections."""

from __future__ import annotations

import pandas as pd

from jobs.settings import PROJECT_ROOT
from jobs.waste import columns as raw
from jobs.waste import job
from tests import pipeline_runs
from tests.test_nyc311_job import table

SAMPLE_WASTE = PROJECT_ROOT / "tests" / "data" / "nyc_dsny_waste" / "DSNY_Monthly_Tonnage_Data_1990-2020.csv"
# The whole history to June 2020, as the portal exports it: delivered for its last month.
SAMPLE_MONTH = "2020-06-01"


def land_and_run(spark, settings, month: str, files, run_id: str = "waste-run-1") -> None:
    pipeline_runs.land_and_run(spark, settings, job.SOURCE, "waste_monthly", month, files, run_id)


def expected_from_raw_csv(path) -> pd.DataFrame:
    """Gold rows recomputed with pandas from the raw CSV, sharing no code with the job."""
    rows = pd.read_csv(path, dtype=str, keep_default_na=False)
    tons = lambda column: pd.to_numeric(rows[column].replace("", "0"))  # noqa: E731 - empty: not collected
    frame = pd.DataFrame(
        {
            "month": pd.to_datetime(rows["MONTH"], format="%Y / %m"),
            "borough": rows["BOROUGH"],
            "community_district": rows["COMMUNITYDISTRICT"].str.zfill(2),
            "refuse_tons": tons("REFUSETONSCOLLECTED"),
            "paper_tons": tons("PAPERTONSCOLLECTED"),
            "mgp_tons": tons("MGPTONSCOLLECTED"),
            "organics_tons": tons("RESORGANICSTONS") + tons("SCHOOLORGANICTONS") + tons("LEAVESORGANICTONS") + tons("XMASTREETONS"),
        }
    )
    frame["total_tons"] = frame[["refuse_tons", "paper_tons", "mgp_tons", "organics_tons"]].sum(axis=1)
    frame["diversion_rate"] = ((frame["paper_tons"] + frame["mgp_tons"] + frame["organics_tons"]) / frame["total_tons"]).where(frame["total_tons"] > 0)
    earlier = frame[["month", "borough", "community_district", "diversion_rate", "total_tons"]].copy()
    earlier["month"] = earlier["month"] + pd.DateOffset(years=1)
    merged = frame.merge(earlier, on=["month", "borough", "community_district"], how="left", suffixes=("", "_before"))
    merged["diversion_rate_change"] = merged["diversion_rate"] - merged["diversion_rate_before"]
    merged["total_tons_change"] = (merged["total_tons"] / merged["total_tons_before"] - 1).where(merged["total_tons_before"] > 0)
    merged["month"] = merged["month"].dt.date.astype(str)
    return merged.set_index(["month", "borough", "community_district"]).sort_index()


def test_gold_waste_diversion_on_the_real_sample_matches_pandas(spark, lake):
    land_and_run(spark, lake, SAMPLE_MONTH, [SAMPLE_WASTE])
    expected = expected_from_raw_csv(SAMPLE_WASTE)
    gold = table(spark, lake, "gold.waste_diversion_monthly").toPandas()
    assert set(gold["theme"]) == {"waste and sanitation"}
    got = gold.assign(month=gold["month"].astype(str)).set_index(["month", "borough", "community_district"]).sort_index()
    assert list(got.index) == list(expected.index)
    assert len(got) == 20_871
    for column, tolerance in (("total_tons", 1e-3), ("organics_tons", 1e-3), ("diversion_rate", 1e-6), ("diversion_rate_change", 1e-6), ("total_tons_change", 1e-6)):
        pd.testing.assert_series_equal(got[column], expected[column], check_dtype=False, check_names=False, atol=tolerance, rtol=0)
    check = table(spark, lake, "audit.reconciliation").first()
    assert (check.manifest_rows, check.published_rows, check.quarantined_rows, check.balanced) == (20_871, 20_871, 0, True)

    # A rerun of the month leaves every table of the source exactly as it was.
    before = pipeline_runs.source_table_rows(spark, lake, job.SOURCE)
    land_and_run(spark, lake, SAMPLE_MONTH, [SAMPLE_WASTE], "waste-run-2")
    assert pipeline_runs.source_table_rows(spark, lake, job.SOURCE) == before


def test_bad_rows_are_quarantined_and_a_late_correction_updates_the_month_and_the_year_after(spark, lake, tmp_path):
    rows = pd.read_csv(SAMPLE_WASTE, dtype=str, keep_default_na=False)
    two_years = rows[rows["MONTH"].isin(["2018 / 05", "2019 / 05"])].reset_index(drop=True)
    bad = pd.DataFrame(
        [
            {**two_years.iloc[0].to_dict(), "MONTH": "May 2019"},
            {**two_years.iloc[1].to_dict(), "BOROUGH": "Atlantis"},
            {**two_years.iloc[2].to_dict(), "PAPERTONSCOLLECTED": "n/a"},
            {**two_years.iloc[3].to_dict(), "REFUSETONSCOLLECTED": "-5"},
            two_years.iloc[4].to_dict(),  # the same district-month twice
        ]
    )
    first = tmp_path / "dsny_2019-05.csv"
    pd.concat([two_years, bad]).to_csv(first, index=False)
    land_and_run(spark, lake, "2019-05-01", [first])
    rules = {row.rule_id: row["count"] for row in table(spark, lake, "quarantine.waste_tonnage").groupBy("rule_id").count().collect()}
    assert rules == {"month_unparseable": 1, "district_unknown": 1, "tonnage_unparseable": 1, "tonnage_negative": 1, "duplicate_district_month_in_file": 1}
    check = table(spark, lake, "audit.reconciliation").first()
    assert (check.manifest_rows, check.published_rows, check.quarantined_rows, check.balanced) == (len(two_years) + 5, len(two_years), 5, True)

    # A correction of one 2018 district delivered later: its month and the same month of 2019 follow.
    corrected = two_years[two_years["MONTH"] == "2018 / 05"].head(1).copy()
    corrected["REFUSETONSCOLLECTED"] = str(float(corrected["REFUSETONSCOLLECTED"].iloc[0]) * 2)
    correction = tmp_path / "dsny_correction.csv"
    corrected.to_csv(correction, index=False)
    land_and_run(spark, lake, "2019-06-01", [correction], run_id="waste-run-2")
    district = corrected.iloc[0]
    where = f"borough = '{district['BOROUGH']}' AND community_district = '{district['COMMUNITYDISTRICT'].zfill(2)}'"
    gold = {str(row.month): row for row in table(spark, lake, "gold.waste_diversion_monthly").where(where).collect()}
    assert gold["2018-05-01"].refuse_tons == round(float(corrected["REFUSETONSCOLLECTED"].iloc[0]), 3)
    later = rows[(rows["MONTH"] == "2019 / 05") & (rows["BOROUGH"] == district["BOROUGH"]) & (rows["COMMUNITYDISTRICT"] == district["COMMUNITYDISTRICT"])].iloc[0]
    expected_change = float(later["REFUSETONSCOLLECTED"]) + sum(float(later[c] or 0) for c in raw.TONNAGES[1:])
    assert abs(gold["2019-05-01"].total_tons_change - (expected_change / gold["2018-05-01"].total_tons - 1)) < 1e-5
