"""Gold ``account_risk_daily``: alerts and sanctions hits per account and day, as one explainable score.

A product over the AML alerts, the sanctions hits and the payments (jobs/finance/risk.py), rebuilt whole
whenever one of them changes.

    python -m jobs.run account_risk --logical-date 2022-05-08 --expectations-dir expectations
"""

from __future__ import annotations

from pyspark.sql import DataFrame

from jobs import products
from jobs.finance import risk

PRODUCT = "account_risk"
ALERTS, HITS, PAYMENTS = "gold.aml_alerts", "gold.sanctions_hits", "silver.payment_transactions"


def build(tables: dict[str, DataFrame]) -> DataFrame | None:
    """Nothing to score until payments and their alerts exist; no hits yet is no sanctions part."""
    if ALERTS not in tables or PAYMENTS not in tables:
        return None
    hits = tables.get(HITS)
    if hits is None:
        hits = tables[ALERTS].sparkSession.createDataFrame([], "account string, score double, ent_num int, status string, pseudonym_key_version int")
    return risk.account_risk_daily(tables[ALERTS], hits, tables[PAYMENTS])


def main(argv: list[str] | None = None, spark=None) -> None:
    products.main(PRODUCT, build, argv, spark)
