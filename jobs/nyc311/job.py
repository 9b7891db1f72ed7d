"""NYC 311 service requests: one day of landed files -> bronze -> validated -> silver -> gold.

One application does all of a day's Spark steps, because starting a Spark application costs more
than processing a day of 311 (see README, "Submission cost"). The steps every source shares are in
jobs/pipeline.py; its tables are declared in
jobs/nyc311/declarations.yaml; this module gives the code that fills them and how its gold is refreshed.

    python -m jobs.run nyc311 --logical-date 2022-05-01 --expectations-dir expectations
"""

from __future__ import annotations

from jobs import pipeline
from jobs.nyc311 import columns as raw
from jobs.nyc311 import transforms


SOURCE = pipeline.declared_source(
    raw.SOURCE,
    typed=transforms.typed_requests,
    split=transforms.split_by_row_rules,
    to_silver=transforms.service_requests,
    silver_update_when=transforms.SILVER_UPDATE_WHEN,
    # A day's "still open at end of day" depends on earlier days: a backfill of an early day refreshes
    # every later day already in gold too.
    gold=pipeline.Gold(
        period_column="day",
        silver_period_column="created_date",
        periods_touched=transforms.days_touched,
        transform=transforms.service_requests_daily,
        reconciled_as="silver_requests_created",
        refresh_later_periods=True,
    ),
)


def main(argv: list[str] | None = None, spark=None) -> None:
    pipeline.main(SOURCE, argv, spark)
