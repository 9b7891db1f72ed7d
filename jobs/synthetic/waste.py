"""Synthetic DSNY monthly tonnage deliveries, in the portal's or the API's spelling, any months, any size, by seed.

A month's delivery has one row per community district with tonnages drawn around that district's
figures in a real template (by default the 1990-2020 export in tests/data), with a seasonal swing and
organics collection growing over time. The first delivery of a range also carries the twelve months
before it (as the city's export holds the history), so changes on a year earlier exist from the start.
``--rows`` above the city's 59 districts adds synthetic districts (numbered from 101) to reach the size
asked for. Defects, in the share asked for:

- ``month_unparseable``: "May 2022" instead of "2022 / 05";
- ``district_unknown``: an empty community district;
- ``tonnage_unparseable`` and ``tonnage_negative``: "n/a" or a negative refuse tonnage;
- ``duplicate_district_month_in_file``: a district's row twice;
- ``late_correction``: the previous month's row of a district again, with corrected tonnage (valid);
- a re-delivered file: every fourth month also re-sends the previous month's file under another name.

The same seed, months and sizes always give the same bytes.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from jobs.settings import PROJECT_ROOT
from jobs.synthetic import deliver_range, delivery_file
from jobs.waste import columns as raw

TEMPLATE = PROJECT_ROOT / "tests" / "data" / "nyc_dsny_waste" / "DSNY_Monthly_Tonnage_Data_1990-2020.csv"
SHAPES = ("portal", "api-csv")
DEFECTS = ("month_unparseable", "district_unknown", "tonnage_unparseable", "tonnage_negative", "duplicate_district_month_in_file", "late_correction")
HISTORY_MONTHS = 12
CHUNK_ROWS = 500_000  # districts generated and written at a time


def _add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def _districts(template, rows: int):
    """``rows`` districts: the template's real ones (latest year's figures), then synthetic copies of them
    numbered on from 101."""
    import numpy as np

    latest = template[template["MONTH"] >= template["MONTH"].max()[:4]]
    districts = latest.groupby(["BOROUGH", "COMMUNITYDISTRICT", "BOROUGH_ID"], as_index=False)[list(raw.TONNAGES)].mean()
    real = len(districts)
    position = np.arange(rows)
    copies = districts.iloc[position % real].reset_index(drop=True)
    copies.loc[position >= real, "COMMUNITYDISTRICT"] = (position[position >= real] + 101 - real).astype(str)
    return copies


def generate_month(districts, month: date, seed: int, defect_share: float, offset: int = 0):
    """One month's rows (a pandas DataFrame of strings with the portal's columns); ``offset``: where
    ``districts`` starts among all the month's (a chunk of a large delivery draws its own numbers)."""
    import numpy as np

    rng = np.random.default_rng([seed, month.year, month.month, offset] if offset else [seed, month.year, month.month])
    frame = districts.copy()
    season = 1 + 0.08 * np.sin((month.month - 3) / 12 * 2 * np.pi)
    for column in raw.TONNAGES:
        base = frame[column].fillna(0).to_numpy(dtype=float)
        if column == "RESORGANICSTONS":  # organics collection grows year on year
            base = base + 5 * (month.year - 2019)
        values = np.round(np.clip(base * season * rng.normal(1, 0.05, len(frame)), 0, None), 1)
        frame[column] = [("" if value == 0 else f"{value:.1f}") for value in values]
    frame["MONTH"] = f"{month:%Y / %m}"
    frame = frame[list(raw.PORTAL_HEADER)].astype(str)
    return _add_defects(frame, rng, month, defect_share, districts, seed, offset)


def _add_defects(frame, rng, month: date, share: float, districts, seed: int, offset: int):
    import pandas as pd

    # A month has few rows (59 districts): the defects asked for are dealt out in turn, starting from
    # a kind that changes with the month, so that every kind shows up over a range.
    count = round(len(frame) * share)
    if count == 0:
        return frame
    positions = rng.permutation(len(frame))[:count]
    turn = [DEFECTS[(month.month + position) % len(DEFECTS)] for position in range(count)]
    picked = {kind: [row for row, dealt in zip(positions, turn) if dealt == kind] for kind in DEFECTS}
    frame.loc[picked["month_unparseable"], "MONTH"] = f"{month:%B %Y}"
    frame.loc[picked["district_unknown"], "COMMUNITYDISTRICT"] = ""
    frame.loc[picked["tonnage_unparseable"], "REFUSETONSCOLLECTED"] = "n/a"
    frame.loc[picked["tonnage_negative"], "REFUSETONSCOLLECTED"] = "-12.5"
    repeated = frame.loc[picked["duplicate_district_month_in_file"]]
    previous = generate_month(districts, _add_months(month, -1), seed, 0, offset).loc[picked["late_correction"]]
    previous["REFUSETONSCOLLECTED"] = [f"{float(value or 0) * 1.1:.1f}" for value in previous["REFUSETONSCOLLECTED"]]
    return pd.concat([frame, repeated, previous], ignore_index=True)


def write_month(inbox: Path, month: date, rows: int, seed: int, defect_share: float, history: int = 0, template: Path = TEMPLATE, shape: str = "portal") -> Path:
    """Write ``<inbox>/nyc_dsny_waste/<month>/dsny_tonnage_<month>_synthetic.csv`` (with ``history`` earlier months)."""
    import pandas as pd

    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r}; use one of {SHAPES}")
    districts = _districts(pd.read_csv(template, dtype={"COMMUNITYDISTRICT": str, "BOROUGH_ID": str}, keep_default_na=True), rows)
    months = [_add_months(month, -back) for back in range(history, 0, -1)]
    name = f"dsny_tonnage_{month:%Y-%m}_synthetic.csv"
    with delivery_file(inbox / raw.SOURCE / month.isoformat(), name) as partial:
        for offset in range(0, rows, CHUNK_ROWS):  # in chunks of districts: any size fits in memory
            chunk = districts.iloc[offset:offset + CHUNK_ROWS].reset_index(drop=True)
            frames = [generate_month(chunk, earlier, seed, 0, offset) for earlier in months] + [generate_month(chunk, month, seed, defect_share, offset)]
            frame = pd.concat(frames, ignore_index=True)
            if shape == "api-csv":
                frame = frame.rename(columns=str.lower)
            frame.to_csv(partial, mode="a" if offset else "w", header=offset == 0, index=False)
    return inbox / raw.SOURCE / month.isoformat() / name


def write_range(inbox: Path, first: date, last: date, rows: int = 59, seed: int = 1990, defect_share: float = 0.02, shape: str = "portal") -> list[Path]:
    """Deliveries for every month from ``first``'s to ``last``'s; every fourth month re-delivers the one before.

    The first also carries the twelve months before it.
    """
    months = []
    month = first.replace(day=1)
    while month <= last:
        months.append(month)
        month = _add_months(month, 1)
    return deliver_range(
        inbox, raw.SOURCE, months,
        lambda month: write_month(inbox, month, rows, seed, defect_share, HISTORY_MONTHS if month == months[0] else 0, shape=shape),
        bool(defect_share),
    )
