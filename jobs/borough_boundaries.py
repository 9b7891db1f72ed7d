"""Which New York City borough a coordinate lies in, from the city's shoreline boundaries.

The boundaries (``jobs/reference/nyc_boroughs.geojson``: NYC Department of City Planning's borough
boundaries, 104 polygons) are shorelines, so a point in the water is in no borough. Pure Python and
numpy, no Spark and no geometry library: a Spark job calls it from a vectorised UDF that loads the
polygons once per task. Each polygon is tested only when the point is inside its bounding box.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np


@dataclass(frozen=True)
class _Ring:
    borough: str
    is_hole: bool
    lon: np.ndarray
    lat: np.ndarray
    bbox: tuple[float, float, float, float]  # west, south, east, north


@lru_cache(maxsize=1)
def _rings() -> tuple[_Ring, ...]:
    document = json.loads(resources.files("jobs.reference").joinpath("nyc_boroughs.geojson").read_text(encoding="utf-8"))
    rings = []
    for feature in document["features"]:
        geometry = feature["geometry"]
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        for polygon in polygons:
            for position, ring in enumerate(polygon):
                points = np.asarray(ring, dtype=float)
                lon, lat = points[:, 0], points[:, 1]
                rings.append(_Ring(feature["properties"]["borough"], position > 0, lon, lat, (lon.min(), lat.min(), lon.max(), lat.max())))
    return tuple(rings)


def _inside(ring: _Ring, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Even-odd ray casting, for many points against one ring at once."""
    x0, y0 = ring.lon[:-1, None], ring.lat[:-1, None]
    x1, y1 = ring.lon[1:, None], ring.lat[1:, None]
    crosses = (y0 > lat) != (y1 > lat)
    with np.errstate(divide="ignore", invalid="ignore"):
        x_at = x0 + (lat - y0) * (x1 - x0) / (y1 - y0)
    return (crosses & (lon < x_at)).sum(axis=0) % 2 == 1


def boroughs_of_points(longitudes, latitudes) -> list[str | None]:
    """The borough of each (longitude, latitude), None when in no borough or not a number."""
    lon = np.asarray(longitudes, dtype=float)
    lat = np.asarray(latitudes, dtype=float)
    found: list[str | None] = [None] * len(lon)
    pending = np.flatnonzero(~(np.isnan(lon) | np.isnan(lat)))
    by_borough: dict[str, np.ndarray] = {}
    for ring in _rings():
        if not len(pending):
            break
        west, south, east, north = ring.bbox
        near = pending[(lon[pending] >= west) & (lon[pending] <= east) & (lat[pending] >= south) & (lat[pending] <= north)]
        if not len(near):
            continue
        inside = near[_inside(ring, lon[near], lat[near])]
        counts = by_borough.setdefault(ring.borough, np.zeros(len(lon), dtype=int))
        counts[inside] += -1 if ring.is_hole else 1
    for borough, counts in by_borough.items():
        for index in np.flatnonzero(counts > 0):
            found[index] = found[index] or borough
    return found


def borough_of_point(longitude: float | None, latitude: float | None) -> str | None:
    """The borough of one coordinate (None when in no borough)."""
    if longitude is None or latitude is None:
        return None
    return boroughs_of_points([longitude], [latitude])[0]
