"""Bank accounts (KYC): one day's landed extract -> bronze -> validated -> silver ``bank_accounts``.

The steps every source shares are in jobs/pipeline.py; its tables are declared in
jobs/finance/declarations.yaml. No gold of its own: silver is an input of the finance products.

    python -m jobs.run accounts --logical-date 2022-05-02 --expectations-dir expectations
"""

from __future__ import annotations

from jobs import pipeline
from jobs.finance import account_columns as raw
from jobs.finance import accounts

SOURCE = pipeline.declared_source(
    raw.SOURCE,
    typed=accounts.typed_accounts,
    split=accounts.split_by_row_rules,
    to_silver=accounts.bank_accounts,
    # A backfill of an earlier day never replaces the record a later extract delivered.
    silver_update_when="source.record_date >= target.record_date",
    gold=None,
)


def main(argv: list[str] | None = None, spark=None) -> None:
    pipeline.main(SOURCE, argv, spark)
