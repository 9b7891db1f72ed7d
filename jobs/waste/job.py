"""DSNY monthly tonnage: one month's landed files -> bronze -> validated -> silver -> gold ``waste_diversion_monthly``.

The steps every source shares are in jobs/pipeline.py; this module names the waste tables and suites
and how its gold is refreshed.

    spark-submit ... jobs/run.py waste --logical-date 2022-05-01 --expectations-dir expectations
"""

from __future__ import annotations

from jobs import pipeline, publish
from jobs.waste import columns as raw
from jobs.waste import transforms


SOURCE = pipeline.Source(
    name=raw.SOURCE,
    columns=raw.REQUIRED_COLUMNS,
    bronze=("bronze", "dsny_monthly_tonnage"),
    batch_suite="waste_batch.json",
    quarantine=("quarantine", "waste_tonnage"),
    silver=publish.Target("silver", "waste_tonnage", "silver_waste_tonnage.json"),
    silver_key=transforms.KEY,
    typed=transforms.typed_tonnage,
    split=transforms.split_by_row_rules,
    to_silver=transforms.waste_tonnage,
    silver_update_when=None,
    # A month's change on a year earlier depends on that month: a batch refreshes the twelve after it too.
    gold=pipeline.Gold(
        target=publish.Target("gold", "waste_diversion_monthly", "gold_waste_diversion_monthly.json"),
        period_column="month",
        silver_period_column="month",
        transform=transforms.waste_diversion_monthly,
        reconciled_as="silver_district_months",
        refresh=transforms.months_to_refresh,
    ),
)


def main(argv: list[str] | None = None) -> None:
    pipeline.main("waste", SOURCE, argv)
