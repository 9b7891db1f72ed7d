"""Synthetic deliveries: the real headers, deterministic by seed, and defects the pipeline catches."""

from __future__ import annotations

import csv
from datetime import date

import pytest

from jobs import lake
from jobs.crimes import columns as crimes_columns
from jobs.landing import inspect_delivery, land_file
from jobs.nyc311 import columns as raw
from jobs.synthetic import crimes, taxi, waste
from jobs.synthetic import nyc311 as synthetic
from jobs.taxi import columns as taxi_columns
from jobs.waste import columns as waste_columns
from tests.test_nyc311_job import land_and_run

DAY = date(2022, 5, 2)


def header_of(path):
    with open(path, newline="") as delivery:
        return next(csv.reader(delivery))


def test_same_seed_same_bytes_and_the_portal_header(tmp_path):
    first = synthetic.write_day(tmp_path / "a", DAY, 3000, seed=7, defect_share=0.05)
    again = synthetic.write_day(tmp_path / "b", DAY, 3000, seed=7, defect_share=0.05)
    other = synthetic.write_day(tmp_path / "c", DAY, 3000, seed=8, defect_share=0.05)
    assert first.read_bytes() == again.read_bytes() != other.read_bytes()
    assert header_of(first) == header_of(synthetic.TEMPLATE)
    with open(first, newline="") as delivery:
        assert sum(1 for _ in delivery) == 3001


def test_a_range_redelivers_a_file_that_landing_recognises(settings, tmp_path):
    delivered = synthetic.write_range(tmp_path / "inbox", date(2022, 5, 2), date(2022, 5, 5), 200, seed=1, defect_share=0.05)
    redelivered = [path for path in delivered if path.name.startswith("redelivered_")]
    assert len(redelivered) == 1 and redelivered[0].parent.name == "2022-05-05"
    original = next(path for path in delivered if path.name == redelivered[0].name.removeprefix("redelivered_"))
    land_file(settings, raw.SOURCE, "2022-05-04", original, raw.REQUIRED_COLUMNS)
    assert not land_file(settings, raw.SOURCE, "2022-05-05", redelivered[0], raw.REQUIRED_COLUMNS)[1]


def test_a_generated_day_publishes_quarantines_its_defects_and_reconciles(spark, settings, tmp_path):
    rows, share = 2000, 0.05
    delivery = synthetic.write_day(tmp_path / "inbox", DAY, rows, seed=311, defect_share=share)
    land_and_run(spark, settings, DAY.isoformat(), [delivery])
    per_kind = int(rows * share / len(synthetic.DEFECTS))
    rules = {row.rule_id: row["count"] for row in lake.read_table(spark, settings, "quarantine", "service_requests").groupBy("rule_id").count().collect()}
    assert rules["created_unparseable"] >= per_kind - 2  # a few picked rows carry two defects
    assert rules["key_missing"] >= per_kind - 2
    assert rules["coordinates_invalid"] >= per_kind - 5  # rows without a location in the template stay valid
    assert rules["duplicate_key_in_file"] >= per_kind - 2
    [check] = lake.read_table(spark, settings, "audit", "reconciliation").collect()
    assert (check.manifest_rows, check.balanced) == (rows, True)
    assert check.quarantined_rows == sum(rules.values())
    # Late updates are valid rows: yesterday's requests, now closed.
    late = lake.read_table(spark, settings, "silver", "service_requests").where("created_date = DATE'2022-05-01'")
    assert late.count() >= per_kind - 2 and late.where("closed_date = DATE'2022-05-02'").count() == late.count()


@pytest.mark.parametrize(
    ("generator", "columns", "shapes", "first", "last"),
    [
        (synthetic, raw.REQUIRED_COLUMNS, synthetic.SHAPES, date(2022, 5, 1), date(2022, 5, 4)),
        (taxi, taxi_columns.REQUIRED_COLUMNS, taxi.SHAPES, date(2022, 5, 1), date(2022, 5, 4)),
        (crimes, crimes_columns.REQUIRED_COLUMNS, crimes.SHAPES, date(2022, 5, 1), date(2022, 5, 4)),
        (waste, waste_columns.REQUIRED_COLUMNS, waste.SHAPES, date(2022, 2, 1), date(2022, 5, 1)),
    ],
    ids=["nyc_311", "nyc_tlc_yellow", "chicago_crimes", "nyc_dsny_waste"],
)
def test_every_generator_writes_every_shape_deterministically_and_landing_accepts_it_without_drift(tmp_path, generator, columns, shapes, first, last):
    for shape in shapes:
        delivered = generator.write_range(tmp_path / shape / "a", first, last, 300, seed=5, defect_share=0.05, shape=shape)
        again = generator.write_range(tmp_path / shape / "b", first, last, 300, seed=5, defect_share=0.05, shape=shape)
        assert [path.read_bytes() for path in delivered] == [path.read_bytes() for path in again]
        assert len(delivered) == 5 and delivered[4].name.startswith("redelivered_")  # four periods, one re-delivery
        for path in delivered:
            _, _, rows, header = inspect_delivery(path, columns)
            assert rows >= 300
            checked, known = columns.drift_checked(header, omits_nulls=path.suffix == ".json")
            assert sorted(checked) == sorted(known), (shape, path.name)
