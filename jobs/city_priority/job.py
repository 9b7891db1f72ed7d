"""Gold ``city_issue_priority``: 311 requests beside public opinion, per week, borough and theme, ranked.

Runs on its inputs' Assets and rebuilds the whole (small) table (see jobs/products.py).

    python -m jobs.run city_issue_priority --logical-date 2022-05-08 --expectations-dir expectations
"""

from __future__ import annotations

from pyspark.sql import DataFrame

from jobs import products
from jobs.city_priority import transforms

PRODUCT = "city_issue_priority"
REQUESTS, POSTS = "gold.service_requests_daily", "silver.social_posts"


def build(tables: dict[str, DataFrame]) -> DataFrame | None:
    """Nothing to rank until both inputs exist."""
    if REQUESTS not in tables or POSTS not in tables:
        return None
    return transforms.city_issue_priority(tables[REQUESTS], tables[POSTS])


def main(argv: list[str] | None = None, spark=None) -> None:
    products.main(PRODUCT, build, argv, spark)
