"""Synthetic Chicago crimes deliveries, in the API's or the portal's spelling, any days, any size, by seed.

Each generated incident takes its offence (primary type, description, IUCR, FBI code), location
description, beat and ward from a row of a real template export (by default the 2012 sample in
tests/data), gets a new case number, a time within the day and a place jittered around the template's.
Shapes (``--shape``): ``api-csv`` is the Socrata API's export (snake_case, ISO dates, computed regions),
``portal`` the portal's CSV ("Case Number", "MM/DD/YYYY hh:mm:ss AM"). Defects, in the share asked for:

- ``key_missing``: an empty case number;
- ``date_unparseable``: a date in neither format;
- ``coordinates_invalid``: a place far outside Chicago;
- ``duplicate_case_in_file``: a case delivered twice in the same file;
- ``late_update``: a case of the day before delivered again, now with an arrest (a valid update);
- ``no_coordinates``: a case without a place (valid: published without a grid cell);
- a re-delivered file: every fourth day also re-sends the previous day's file under another name.

The same seed, days and sizes always give the same bytes.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from jobs.crimes import columns as raw
from jobs.settings import PROJECT_ROOT
from jobs.synthetic import deliver_range, days, delivery_file

TEMPLATE = PROJECT_ROOT / "tests" / "data" / "chicago_crimes" / "chicago_crimes_2012_socrata10k.csv"
SHAPES = ("api-csv", "portal")
DEFECTS = ("key_missing", "date_unparseable", "coordinates_invalid", "duplicate_case_in_file", "late_update", "no_coordinates")
API_TIME, PORTAL_TIME = "%Y-%m-%dT%H:%M:%S.000", "%m/%d/%Y %I:%M:%S %p"
EPOCH = date(2000, 1, 1)
CASES_PER_DAY = 100_000_000
CHUNK_ROWS = 500_000


def _case_numbers(day: date, first: int, count: int) -> list[str]:
    base = (day - EPOCH).days * CASES_PER_DAY
    return [f"JS{base + first + position:012d}" for position in range(count)]


def generate_day(template, day: date, rows: int, seed: int, defect_share: float, offset: int = 0):
    """``rows`` incidents on ``day`` as the API exports them (a pandas DataFrame of strings); ``offset``: of a chunk."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng([seed, day.toordinal(), offset])
    located = template[template["latitude"] != ""]
    frame = located.iloc[rng.integers(0, len(located), rows)].reset_index(drop=True).copy()
    frame["case_number"] = _case_numbers(day, offset, rows)
    occurred = pd.Timestamp(day) + pd.to_timedelta(rng.integers(0, 86_400 // 60, rows) * 60, unit="s")
    frame["date"] = occurred.strftime(API_TIME)
    frame["year"] = str(day.year)
    latitude = (frame["latitude"].astype(float) + rng.normal(0, 0.002, rows)).round(9)
    longitude = (frame["longitude"].astype(float) + rng.normal(0, 0.002, rows)).round(9)
    frame["latitude"], frame["longitude"] = latitude.astype(str), longitude.astype(str)
    frame["location"] = [
        f"{{'latitude': '{lat}', 'human_address': '{{\"address\": \"\", \"city\": \"\", \"state\": \"\", \"zip\": \"\"}}', 'needs_recoding': False, 'longitude': '{lon}'}}"
        for lat, lon in zip(frame["latitude"], frame["longitude"])
    ]
    _add_defects(frame, rng, day, defect_share)
    return frame


def _add_defects(frame, rng, day: date, share: float) -> None:
    rows = len(frame)
    count = round(rows * share)
    if count == 0:
        return
    positions = rng.permutation(rows)[:count]
    picked = {kind: [row for index, row in enumerate(positions) if DEFECTS[index % len(DEFECTS)] == kind] for kind in DEFECTS}
    frame.loc[picked["key_missing"], "case_number"] = ""
    frame.loc[picked["date_unparseable"], "date"] = f"{day:%d.%m.%Y} late evening"
    frame.loc[picked["coordinates_invalid"], ["latitude", "longitude"]] = ["36.619446395", "-91.686565684"]
    frame.loc[picked["no_coordinates"], ["latitude", "longitude", "location", "x_coordinate", "y_coordinate"]] = ""
    late = picked["late_update"]
    frame.loc[late, "case_number"] = _case_numbers(day - timedelta(days=1), int(rng.integers(0, 1000)), len(late)) if late else []
    frame.loc[late, "date"] = f"{day - timedelta(days=1):%Y-%m-%d}T22:00:00.000"
    frame.loc[late, "arrest"] = "True"
    duplicates = picked["duplicate_case_in_file"]
    if duplicates:
        frame.loc[duplicates, "case_number"] = frame.loc[rng.choice(rows, len(duplicates)), "case_number"].to_numpy()


def _portal_shape(frame):
    """The portal's spelling: display names, its date format, no computed regions."""
    import pandas as pd

    portal = frame[[name for name in frame.columns if not name.startswith(":@")]].copy()
    parsed = pd.to_datetime(portal["date"], format="%Y-%m-%dT%H:%M:%S.%f", errors="coerce")
    portal["date"] = parsed.dt.strftime(PORTAL_TIME).where(parsed.notna(), portal["date"])
    names = {raw.field_name(display): display for display in raw.PORTAL_HEADER}
    portal = portal.rename(columns={name: names.get(name, name) for name in portal.columns})
    # The portal's fields the API sample leaves out: the record id, district, area and update time.
    portal["ID"] = [str(10_000_000 + position) for position in range(len(portal))]
    portal["District"] = portal["Beat"].str[:2]
    portal["Community Area"] = ""
    portal["Updated On"] = portal["Date"]
    return portal[list(raw.PORTAL_HEADER)]


def write_day(inbox: Path, day: date, rows: int, seed: int, defect_share: float, template: Path = TEMPLATE, shape: str = "api-csv") -> Path:
    """Write one day's delivery as ``<inbox>/chicago_crimes/<day>/crimes_<day>_synthetic.csv``."""
    import pandas as pd

    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r}; use one of {SHAPES}")
    template_rows = pd.read_csv(template, dtype=str, keep_default_na=False)
    name = f"crimes_{day.isoformat()}_synthetic.csv"
    with delivery_file(inbox / raw.SOURCE / day.isoformat(), name) as partial:
        for offset in range(0, rows, CHUNK_ROWS):  # in chunks: any size fits in memory
            frame = generate_day(template_rows, day, min(CHUNK_ROWS, rows - offset), seed, defect_share, offset)
            (_portal_shape(frame) if shape == "portal" else frame).to_csv(partial, mode="a" if offset else "w", header=offset == 0, index=False)
    return inbox / raw.SOURCE / day.isoformat() / name


def write_range(inbox: Path, first: date, last: date, rows: int, seed: int = 2012, defect_share: float = 0.02, shape: str = "api-csv") -> list[Path]:
    """Deliveries for every day from ``first`` to ``last``; every fourth day re-delivers the day before."""
    return deliver_range(inbox, raw.SOURCE, days(first, last), lambda day: write_day(inbox, day, rows, seed, defect_share, shape=shape), bool(defect_share))
