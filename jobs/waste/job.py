"""DSNY monthly tonnage: one month's landed files -> bronze -> validated -> silver -> gold ``waste_diversion_monthly``.

The steps every source shares are in jobs/pipeline.py; this module names the waste tables and suites
and how its gold is refreshed.

    python -m jobs.run waste --logical-date 2022-05-01 --expectations-dir expectations
"""

from __future__ import annotations

from jobs import pipeline
from jobs.waste import columns as raw
from jobs.waste import transforms


SOURCE = pipeline.declared_source(
    raw.SOURCE,
    typed=transforms.typed_tonnage,
    split=transforms.split_by_row_rules,
    to_silver=transforms.waste_tonnage,
    silver_update_when=None,
    # A month's change on a year earlier depends on that month: a batch refreshes the twelve after it too.
    gold=pipeline.Gold(
        period_column="month",
        silver_period_column="month",
        transform=transforms.waste_diversion_monthly,
        reconciled_as="silver_district_months",
        refresh=transforms.months_to_refresh,
    ),
)


def main(argv: list[str] | None = None, spark=None) -> None:
    pipeline.main(SOURCE, argv, spark)
