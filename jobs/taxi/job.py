"""NYC TLC yellow-taxi trips: one day of landed files -> bronze -> validated -> silver -> gold ``mobility_daily``.

The steps every source shares are in jobs/pipeline.py; this module names the taxi tables and suites
and how its gold is refreshed.

    python -m jobs.run taxi --logical-date 2019-01-31 --expectations-dir expectations
"""

from __future__ import annotations

from jobs import pipeline
from jobs.taxi import columns as raw
from jobs.taxi import transforms


SOURCE = pipeline.declared_source(
    raw.SOURCE,
    typed=transforms.typed_trips,
    split=transforms.split_by_row_rules,
    to_silver=transforms.taxi_trips,
    silver_update_when=None,
    gold=pipeline.Gold(
        period_column="day",
        silver_period_column="pickup_date",
        transform=transforms.mobility_daily,
        reconciled_as="silver_trips",
    ),
)


def main(argv: list[str] | None = None, spark=None) -> None:
    pipeline.main(SOURCE, argv, spark)
