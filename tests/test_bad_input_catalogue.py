"""The bad-input catalogue at landing: every kind (tests/bad_input/catalogue.yaml), for every source and shape.

A good delivery of each source and shape comes from the source's own generator; each kind the catalogue
lists for the delivery's format is made from it (tests/bad_input/kinds.py) and handed to landing, which
must refuse it naming the file and the problem (landing nothing, leaving the file in the inbox) or land it
with every record counted. No Spark: this is the fast tier (the kinds that land go through the 311 job in
tests/test_bad_input_known_defects.py).
"""

from __future__ import annotations

import importlib
import re
from datetime import date
from pathlib import Path

import pytest
import yaml

from jobs.declarations import registry
from jobs.landing import LandingError, land_file, manifest_entries
from tests.bad_input import kinds as make
from tests.bad_input.kinds import Delivery
from tests.conftest import make_settings

CATALOGUE = yaml.safe_load((Path(__file__).parent / "bad_input" / "catalogue.yaml").read_text())["kinds"]
DAY = date(2022, 5, 1)
SHAPES = [
    (ingestion.source, shape)
    for ingestion in sorted(registry().ingestions.values(), key=lambda ingestion: ingestion.source)
    if ingestion.generator
    for shape in importlib.import_module(ingestion.generator).SHAPES
]


def good_delivery(folder: Path, source: str, shape: str) -> Delivery:
    generator = importlib.import_module(registry().ingestion(source).generator)
    (path,) = generator.write_range(folder, DAY, DAY, 3 if source == "nyc_dsny_waste" else 30, defect_share=0.0, shape=shape)
    return Delivery(source, shape, path)


def required_columns(source: str):
    return importlib.import_module(registry().ingestion(source).delivery_columns).REQUIRED_COLUMNS


def test_the_catalogue_covers_at_least_25_kinds_each_made_by_a_function():
    assert len(CATALOGUE) >= 25
    assert len({kind["kind"] for kind in CATALOGUE}) == len(CATALOGUE)
    for kind in CATALOGUE:
        assert callable(getattr(make, kind["kind"], None)), kind["kind"]
        assert ("refused" in kind) != ("lands" in kind), kind["kind"]


@pytest.mark.parametrize(("source", "shape"), SHAPES, ids=[f"{source}-{shape}" for source, shape in SHAPES])
def test_every_kind_of_bad_input_is_refused_by_name_or_landed_whole(tmp_path, source, shape):
    good = good_delivery(tmp_path / "generated", source, shape)
    columns = required_columns(source)
    good_columns, good_rows = _landed(tmp_path / "good", good.path.name, good.data, source, columns)
    tried, wrong = [], []
    for kind in (kind for kind in CATALOGUE if good.format in kind["formats"]):
        tried.append(kind["kind"])
        name, data = getattr(make, kind["kind"])(good)
        try:
            problem = _check(tmp_path / kind["kind"], name, data, kind, source, columns, good_columns, good_rows)
        except Exception as error:  # noqa: BLE001 - an unexpected error is a wrong outcome too
            problem = f"{type(error).__name__}: {error}"
        if problem:
            wrong.append(f"{kind['kind']}: {problem}")
    assert len(tried) >= 6, tried
    assert not wrong, "\n".join(wrong)


def _landed(folder: Path, name: str, data: bytes, source: str, columns) -> tuple[tuple[str, ...], int]:
    settings = make_settings(folder)
    inbox = Path(settings.inbox_root) / source / DAY.isoformat()
    inbox.mkdir(parents=True)
    path = inbox / name
    path.write_bytes(data)
    entry, _ = land_file(settings, source, DAY.isoformat(), path, columns)
    return entry.columns, entry.rows


def _check(folder: Path, name: str, data: bytes, kind: dict, source: str, columns, good_columns, good_rows) -> str | None:
    """What is wrong with landing's answer to the bad file (None: as the catalogue says)."""
    settings = make_settings(folder)
    inbox = Path(settings.inbox_root) / source / DAY.isoformat()
    inbox.mkdir(parents=True)
    path = inbox / name
    path.write_bytes(data)
    if "refused" in kind:
        try:
            land_file(settings, source, DAY.isoformat(), path, columns)
        except LandingError as error:
            message = str(error)
            if str(path) not in message or not re.search(kind["refused"], message):
                return f"refused with {message!r}, expected the file named and /{kind['refused']}/"
            if manifest_entries(settings, source, DAY.isoformat()) or (Path(settings.landing_root) / source).exists():
                return "refused, but something was landed"
            if not path.is_file() or path.read_bytes() != data:
                return "refused, but the file is gone from the inbox"
            return None
        return "landed, expected a refusal"
    entry, _ = land_file(settings, source, DAY.isoformat(), path, columns)
    expected = kind["lands"]
    if expected["rows"] == "same" and entry.rows != good_rows:
        return f"landed {entry.rows} records, the good file has {good_rows}"
    # A JSON delivery's columns are in order of first appearance, so an added or dropped one is compared as a set.
    shapes = {
        "same": tuple(good_columns),
        "reordered": tuple(reversed(good_columns)),
        "extra": {*good_columns, "surprise_field"},
        "fewer": set(good_columns[1:]),
    }
    wanted = shapes[expected["columns"]]
    if (set(entry.columns) if isinstance(wanted, set) else entry.columns) != wanted:
        return f"landed with columns {entry.columns}, expected {expected['columns']} ({wanted})"
    return None
