"""Bank payments: one day's landed extract -> bronze -> validated -> silver -> gold ``aml_alerts``.

The steps every source shares are in jobs/pipeline.py; its tables are declared in
jobs/finance/declarations.yaml; this module gives the code that fills them and how its gold is refreshed.

    python -m jobs.run payments --logical-date 2022-05-02 --expectations-dir expectations
"""

from __future__ import annotations

from jobs import pipeline
from jobs.finance import payment_columns as raw
from jobs.finance import payments

SOURCE = pipeline.declared_source(
    raw.SOURCE,
    typed=payments.typed_payments,
    split=payments.split_by_row_rules,
    to_silver=payments.payment_transactions,
    silver_update_when=None,  # a later extract's row for a known id is the bank's correction
    # A batch refreshes the alerts of the day before it and of the days after as far as any rule's history reaches.
    gold=pipeline.Gold(
        period_column="alert_date",
        silver_period_column="booked_date",
        transform=payments.aml_alerts,
        reconciled_as="silver_payments_in_range",
        refresh=payments.alert_days_to_refresh,
        cached=False,  # its rules collect transfers over windows: a cached plan misses its own entry
    ),
)


def main(argv: list[str] | None = None, spark=None) -> None:
    pipeline.main(SOURCE, argv, spark)
