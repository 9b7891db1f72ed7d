"""Gold figures recomputed with pandas straight from a raw 311 CSV, sharing no code with the Spark job."""

from __future__ import annotations

import fnmatch
from pathlib import Path

import pandas as pd

from jobs.settings import PROJECT_ROOT


def assert_gold_matches_raw_csv(gold, raw_csv: Path) -> None:
    """``gold`` (a Spark DataFrame of gold.service_requests_daily) equals the figures computed from ``raw_csv``."""
    assert_gold_rows_match_raw_csv(gold.toPandas(), raw_csv)


def assert_gold_rows_match_raw_csv(frame: pd.DataFrame, raw_csv: Path) -> None:
    """The same check on gold rows fetched by any client (a SQL endpoint's result set, for example)."""
    expected = expected_gold_from_raw_csv(raw_csv)
    got = frame.assign(day=frame["day"].astype(str)).set_index(["day", "borough", "theme"]).sort_index()
    assert list(got.index) == list(expected.index)
    for column in ("requests_opened", "requests_closed", "still_open_end_of_day"):
        assert got[column].tolist() == expected[column].tolist(), column
    pd.testing.assert_series_equal(got["median_hours_to_close"], expected["median_hours_to_close"], check_dtype=False, rtol=1e-9)


def expected_gold_from_raw_csv(path: Path) -> pd.DataFrame:
    """The gold figures recomputed with pandas from the CSV, sharing no code with the Spark job."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    fmt = "%m/%d/%Y %I:%M:%S %p"
    created = pd.to_datetime(raw["Created Date"], format=fmt)
    closed = pd.to_datetime(raw["Closed Date"].replace("", None), format=fmt)
    boroughs = {"MANHATTAN": "Manhattan", "BROOKLYN": "Brooklyn", "QUEENS": "Queens", "BRONX": "Bronx", "STATEN ISLAND": "Staten Island"}
    themes = pd.read_csv(PROJECT_ROOT / "jobs" / "reference" / "city_themes.csv")
    themes = themes[themes["source"] == "nyc_311"]

    def theme_of(complaint: str) -> str:
        for pattern, theme in zip(themes["category_pattern"], themes["theme"]):
            if fnmatch.fnmatchcase(complaint, pattern.replace("%", "*")):
                return theme
        return "other"

    frame = pd.DataFrame(
        {
            "borough": raw["Borough"].str.upper().map(boroughs).fillna("Unspecified"),
            "theme": raw["Complaint Type"].map(theme_of),
            "created_day": created.dt.date.astype(str),
            "closed_day": closed.dt.date.astype(str).where(closed.notna()),
            # Hours between the two instants: both are New York wall-clock times.
            "hours": (closed.dt.tz_localize("America/New_York") - created.dt.tz_localize("America/New_York")).dt.total_seconds() / 3600,
        }
    )
    days = sorted(set(frame["created_day"]) | set(frame["closed_day"].dropna()))
    rows = []
    for (borough, theme), group in frame.groupby(["borough", "theme"]):
        for day in days:
            closed_today = group[group["closed_day"] == day]
            row = {
                "day": day,
                "borough": borough,
                "theme": theme,
                "requests_opened": int((group["created_day"] == day).sum()),
                "requests_closed": len(closed_today),
                "median_hours_to_close": closed_today["hours"].median() if len(closed_today) else None,
                "still_open_end_of_day": int(((group["created_day"] <= day) & ~(group["closed_day"] <= day).fillna(False)).sum()),
            }
            if row["requests_opened"] or row["requests_closed"] or row["still_open_end_of_day"]:
                rows.append(row)
    return pd.DataFrame(rows).set_index(["day", "borough", "theme"]).sort_index()
