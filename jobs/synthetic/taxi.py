"""Synthetic NYC TLC yellow-taxi deliveries in both published spellings, any days, any size, by seed.

Each generated trip takes its zones, distance, duration, passengers, payment and fare items from a
row of a real template extract (by default the January 2019 sample in tests/data), with a new pick-up
time within the day. Shapes (``--shape``): ``csv`` is the extracts' snake_case CSV, ``parquet`` the
TLC's monthly Parquet spelling (``VendorID``, ``tpep_pickup_datetime``, ``PULocationID``, typed
columns). Defects, in the share asked for, are the ones real trip files have:

- ``negative_fare``: a refund-like negative fare and total;
- ``dropoff_before_pickup``: the drop-off clock before the pick-up;
- ``speed_over_100mph``: a distance that the duration cannot cover;
- ``zero_distance_long_duration``: the meter running for an hour without moving;
- ``zone_unknown``: a zone number the TLC does not have;
- ``duplicate_trip_in_file``: a trip delivered twice in the same file;
- ``late_trip``: a trip of the day before, delivered late (a valid trip for that day);
- ``times_unparseable`` (CSV only; Parquet's times are typed): a pick-up time that is not a time;
- a re-delivered file: every fourth day also re-sends the previous day's file under another name.

The same seed, days and sizes always give the same bytes.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from jobs.settings import PROJECT_ROOT
from jobs.synthetic import deliver_range, days, delivery_file
from jobs.taxi import columns as raw

TEMPLATE = PROJECT_ROOT / "tests" / "data" / "nyc_tlc_taxi" / "yellow_tripdata_sample_2019-01.csv"
SHAPES = ("csv", "parquet")
DEFECTS = (
    "negative_fare", "dropoff_before_pickup", "speed_over_100mph", "zero_distance_long_duration",
    "zone_unknown", "duplicate_trip_in_file", "late_trip", "times_unparseable",
)
CHUNK_ROWS = 1_000_000
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def generate_day(template, day: date, rows: int, seed: int, defect_share: float, offset: int = 0, shape: str = "csv"):
    """``rows`` trips picked up on ``day``: a pandas DataFrame with the CSV extracts' columns (times typed)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng([seed, day.toordinal(), offset])
    frame = template.iloc[rng.integers(0, len(template), rows)].reset_index(drop=True).copy()
    duration = (pd.to_datetime(frame["dropoff_datetime"]) - pd.to_datetime(frame["pickup_datetime"])).to_numpy()
    pickup = pd.Timestamp(day) + pd.to_timedelta(rng.integers(0, 86_400, rows), unit="s")
    frame["pickup_datetime"] = pickup
    frame["dropoff_datetime"] = pickup + duration
    _add_defects(frame, rng, day, defect_share, shape)
    return frame


def _add_defects(frame, rng, day: date, share: float, shape: str) -> None:
    import pandas as pd

    kinds_here = [kind for kind in DEFECTS if shape == "csv" or kind != "times_unparseable"]
    rows = len(frame)
    per_kind = int(rows * share / len(kinds_here))
    if per_kind == 0:
        return
    picked = dict(zip(kinds_here, rng.permutation(rows)[: per_kind * len(kinds_here)].reshape(len(kinds_here), per_kind)))
    frame.loc[picked["negative_fare"], ["fare_amount", "total_amount"]] = -frame.loc[picked["negative_fare"], ["fare_amount", "total_amount"]].abs().to_numpy() - 1
    late = picked["dropoff_before_pickup"]
    frame.loc[late, "dropoff_datetime"] = frame.loc[late, "pickup_datetime"] - pd.Timedelta(minutes=7)
    fast = picked["speed_over_100mph"]
    frame.loc[fast, "dropoff_datetime"] = frame.loc[fast, "pickup_datetime"] + pd.Timedelta(minutes=2)
    frame.loc[fast, "trip_distance"] = 30.0
    idle = picked["zero_distance_long_duration"]
    frame.loc[idle, "trip_distance"] = 0.0
    frame.loc[idle, "dropoff_datetime"] = frame.loc[idle, "pickup_datetime"] + pd.Timedelta(hours=1)
    frame.loc[picked["zone_unknown"], "pickup_location_id"] = 999
    early = picked["late_trip"]
    frame.loc[early, ["pickup_datetime", "dropoff_datetime"]] = frame.loc[early, ["pickup_datetime", "dropoff_datetime"]] - pd.Timedelta(days=1)
    # Duplicates: copies of other trips, every field the same.
    frame.loc[picked["duplicate_trip_in_file"]] = frame.loc[rng.choice(rows, per_kind)].to_numpy()
    if shape == "csv":
        frame["pickup_datetime"] = frame["pickup_datetime"].dt.strftime(TIME_FORMAT).astype(object)
        frame["dropoff_datetime"] = frame["dropoff_datetime"].dt.strftime(TIME_FORMAT)
        frame.loc[picked["times_unparseable"], "pickup_datetime"] = "not recorded"


def write_day(inbox: Path, day: date, rows: int, seed: int, defect_share: float, template: Path = TEMPLATE, shape: str = "csv") -> Path:
    """Write one day's delivery as ``<inbox>/nyc_tlc_yellow/<day>/yellow_tripdata_<day>_synthetic.<csv|parquet>``."""
    import pandas as pd

    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r}; use one of {SHAPES}")
    source_rows = pd.read_csv(template, keep_default_na=False, dtype={"congestion_surcharge": str})
    name = f"yellow_tripdata_{day.isoformat()}_synthetic.{shape}"
    writer = None
    with delivery_file(inbox / raw.SOURCE / day.isoformat(), name) as partial:
        for offset in range(0, rows, CHUNK_ROWS):  # in chunks: any size fits in memory
            chunk = generate_day(source_rows, day, min(CHUNK_ROWS, rows - offset), seed, defect_share, offset, shape)
            if shape == "csv":
                chunk.to_csv(partial, mode="a" if offset else "w", header=offset == 0, index=False)
            else:
                writer = _write_parquet(chunk, partial, writer)
        if writer:
            writer.close()
    return inbox / raw.SOURCE / day.isoformat() / name


def _write_parquet(frame, path: Path, writer=None):
    """Append a chunk to the TLC's Parquet: its spelling, typed columns, times without a time zone (microseconds)."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    tlc = frame.rename(columns=raw.TLC_NAMES)
    tlc["congestion_surcharge"] = pd.to_numeric(tlc["congestion_surcharge"], errors="coerce")
    tlc["Airport_fee"] = 0.0
    tlc["store_and_fwd_flag"] = tlc["store_and_fwd_flag"].astype(str)
    table = pa.Table.from_pandas(tlc[list(raw.TLC_HEADER)], preserve_index=False)
    table = table.cast(pa.schema([pa.field(f.name, pa.timestamp("us")) if pa.types.is_timestamp(f.type) else f for f in table.schema]))
    writer = writer or pq.ParquetWriter(path, table.schema)
    writer.write_table(table)
    return writer


def write_range(inbox: Path, first: date, last: date, rows: int, seed: int = 2019, defect_share: float = 0.02, shape: str = "csv") -> list[Path]:
    """Deliveries for every day from ``first`` to ``last``; every fourth day re-delivers the day before."""
    return deliver_range(inbox, raw.SOURCE, days(first, last), lambda day: write_day(inbox, day, rows, seed, defect_share, shape=shape), bool(defect_share))
