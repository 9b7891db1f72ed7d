"""Synthetic NYC 311 deliveries in the shapes the city publishes, any days, any size, by seed.

Shapes (``--shape``): ``portal`` is the portal's CSV export with its exact header; ``api-csv`` and
``api-json`` are the Socrata API's (snake_case field names, ISO timestamps, ``:@computed_region_*``
columns; the JSON leaves out empty fields, as the API does).

Each generated request takes its categorical columns (agency, complaint type, descriptor, location type,
address, borough, community board, channel, ...) from a row of a real template export (by default the
sample in tests/data), gets a new key, a creation time within the day, and, for about half of them, a
closure some hours later, with a location jittered around the template's. Defects, in the share asked
for, are the ones real exports have:

- ``created_unparseable``: an ISO timestamp instead of the portal's format;
- ``key_missing``: an empty Unique Key;
- ``coordinates_invalid``: a latitude outside the city;
- ``duplicate_key_in_file``: a row delivered twice in the same file;
- ``late_update``: a request of the day before, delivered again now that it is closed (a valid update);
- a re-delivered file: every fourth day also re-sends the previous day's file under another name.

The same seed, days and sizes always give the same bytes.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from jobs.nyc311 import columns as raw
from jobs.synthetic import deliver_range, days, delivery_file
from jobs.settings import PROJECT_ROOT

TEMPLATE = PROJECT_ROOT / "tests" / "data" / "nyc_311" / "nyc311_2022-05-01_first924.csv"
PORTAL_TIME = "%m/%d/%Y %I:%M:%S %p"
KEYS_PER_DAY = 50_000_000
FIRST_KEY = 100_000_000
EPOCH = date(2020, 1, 1)
DEFECTS = ("created_unparseable", "key_missing", "coordinates_invalid", "duplicate_key_in_file", "late_update")
CHUNK_ROWS = 500_000
SHAPES = ("portal", "api-csv", "api-json")
API_TIME = "%Y-%m-%dT%H:%M:%S.000"
TIME_COLUMNS = (raw.CREATED_DATE, raw.CLOSED_DATE, "Due Date", raw.RESOLUTION_UPDATED)
# Georegions Socrata derives from the location (ids of its region datasets; values are region numbers).
COMPUTED_REGIONS = (":@computed_region_efsh_h5xi", ":@computed_region_f5dn_yrer", ":@computed_region_yeji_bk3q")


def _first_key(day: date) -> int:
    return FIRST_KEY + (day - EPOCH).days * KEYS_PER_DAY


def generate_day(template, day: date, rows: int, seed: int, defect_share: float, offset: int = 0):
    """``rows`` requests created on ``day`` (a pandas DataFrame of strings, the template's columns)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng([seed, day.toordinal(), offset])
    frame = template.iloc[rng.integers(0, len(template), rows)].reset_index(drop=True).copy()
    frame[raw.UNIQUE_KEY] = (np.arange(offset, offset + rows, dtype=np.int64) + _first_key(day)).astype(str)
    midnight = pd.Timestamp(day)
    created = midnight + pd.to_timedelta(rng.integers(0, 86_400, rows), unit="s")
    is_closed = rng.random(rows) < 0.52
    closed = created + pd.to_timedelta(rng.exponential(20 * 3600, rows).astype(np.int64) + 60, unit="s")
    frame[raw.CREATED_DATE] = created.strftime(PORTAL_TIME)
    frame[raw.CLOSED_DATE] = np.where(is_closed, closed.strftime(PORTAL_TIME), "")
    frame[raw.RESOLUTION_UPDATED] = frame[raw.CLOSED_DATE]
    frame[raw.STATUS] = np.where(is_closed, "Closed", "In Progress")
    has_location = frame[raw.LATITUDE] != ""
    latitude = pd.to_numeric(frame[raw.LATITUDE], errors="coerce") + rng.normal(0, 0.002, rows)
    longitude = pd.to_numeric(frame[raw.LONGITUDE], errors="coerce") + rng.normal(0, 0.002, rows)
    frame[raw.LATITUDE] = np.where(has_location, latitude.round(8).astype(str), "")
    frame[raw.LONGITUDE] = np.where(has_location, longitude.round(8).astype(str), "")
    frame["Location"] = np.where(has_location, "(" + frame[raw.LATITUDE] + ", " + frame[raw.LONGITUDE] + ")", "")
    _add_defects(frame, rng, day, defect_share, created)
    return frame


def _add_defects(frame, rng, day: date, share: float, created) -> None:
    rows = len(frame)
    per_kind = int(rows * share / len(DEFECTS))
    if per_kind == 0:
        return
    picked = rng.permutation(rows)[: per_kind * len(DEFECTS)].reshape(len(DEFECTS), per_kind)
    kinds = dict(zip(DEFECTS, picked))
    frame.loc[kinds["created_unparseable"], raw.CREATED_DATE] = created[kinds["created_unparseable"]].strftime("%Y-%m-%dT%H:%M:%S")
    frame.loc[kinds["key_missing"], raw.UNIQUE_KEY] = ""
    frame.loc[kinds["coordinates_invalid"], raw.LATITUDE] = "48.8566"
    # Late updates: yesterday's requests with the same key positions, now closed today.
    late = kinds["late_update"]
    yesterday = day - timedelta(days=1)
    frame.loc[late, raw.UNIQUE_KEY] = [str(_first_key(yesterday) + int(position)) for position in late]
    frame.loc[late, raw.CREATED_DATE] = [f"{yesterday:%m/%d/%Y} 11:00:00 PM"] * len(late)
    frame.loc[late, raw.CLOSED_DATE] = [f"{day:%m/%d/%Y} 08:00:00 AM"] * len(late)
    frame.loc[late, raw.RESOLUTION_UPDATED] = frame.loc[late, raw.CLOSED_DATE]
    frame.loc[late, raw.STATUS] = "Closed"
    # Duplicates last: copies of other rows (same key) appended to the file.
    copies = frame.loc[kinds["duplicate_key_in_file"]].copy()
    copies[raw.UNIQUE_KEY] = frame.loc[rng.choice(rows, per_kind), raw.UNIQUE_KEY].to_numpy()
    frame.loc[kinds["duplicate_key_in_file"], raw.UNIQUE_KEY] = copies[raw.UNIQUE_KEY].to_numpy()


def api_shape(frame):
    """A portal-shaped frame as the Socrata API delivers it: field names, ISO times, computed regions."""
    import pandas as pd

    api = frame.copy()
    for column in TIME_COLUMNS:
        parsed = pd.to_datetime(api[column], format=PORTAL_TIME, errors="coerce")
        # A value that is not in the portal's format (a defect) stays as it was.
        api[column] = parsed.dt.strftime(API_TIME).where(parsed.notna(), api[column])
    zip_code = pd.to_numeric(api[raw.INCIDENT_ZIP], errors="coerce")
    for position, column in enumerate(COMPUTED_REGIONS):
        api[column] = (zip_code % (50 + 17 * position)).astype("Int64").astype(str).replace("<NA>", "")
    return api.rename(columns={name: raw.field_name(name) for name in frame.columns})


def _write_chunk(chunk, partial: Path, shape: str, first: bool, last: bool) -> None:
    if shape == "portal":
        chunk.to_csv(partial, mode="w" if first else "a", header=first, index=False)
        return
    chunk = api_shape(chunk)
    if shape == "api-csv":
        chunk.to_csv(partial, mode="w" if first else "a", header=first, index=False)
        return
    with open(partial, "w" if first else "a", encoding="utf-8") as output:
        records = ({name: value for name, value in record.items() if value != ""} for record in chunk.to_dict("records"))
        output.write(("[\n" if first else ",\n") + ",\n".join(json.dumps(record) for record in records) + ("\n]\n" if last else ""))


def write_day(inbox: Path, day: date, rows: int, seed: int, defect_share: float, template: Path = TEMPLATE, shape: str = "portal") -> Path:
    """Write one day's delivery as ``<inbox>/nyc_311/<day>/nyc311_<day>_synthetic.<csv|json>`` (in chunks)."""
    import pandas as pd

    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r}; use one of {SHAPES}")
    columns = pd.read_csv(template, dtype=str, keep_default_na=False)
    name = f"nyc311_{day.isoformat()}_synthetic.{'json' if shape == 'api-json' else 'csv'}"
    with delivery_file(inbox / raw.SOURCE / day.isoformat(), name) as partial:
        for offset in range(0, rows, CHUNK_ROWS):
            chunk = generate_day(columns, day, min(CHUNK_ROWS, rows - offset), seed, defect_share, offset)
            _write_chunk(chunk, partial, shape, offset == 0, offset + CHUNK_ROWS >= rows)
    return inbox / raw.SOURCE / day.isoformat() / name


def write_range(inbox: Path, first: date, last: date, rows: int, seed: int = 311, defect_share: float = 0.02, shape: str = "portal") -> list[Path]:
    """Deliveries for every day from ``first`` to ``last``; every fourth day re-delivers the day before."""
    return deliver_range(inbox, raw.SOURCE, days(first, last), lambda day: write_day(inbox, day, rows, seed, defect_share, shape=shape), bool(defect_share))
