"""Gold ``city_themes``: every source's gold figures on the shared city themes, in one long table.

City analysts compare services on themes (transport, waste and sanitation, public safety, ...):
requests to 311 about transport next to taxi trips, incidents next to public-safety complaints. Each
source's gold table already carries the theme from the one mapping (jobs/reference/city_themes.csv);
this job stacks their headline measures as ``(period_start, period, theme, source, measure, value)``,
so one query joins them by theme and period.

It runs when any source's gold table changes (the ``city_themes`` DAG is scheduled on their Airflow
Assets, its declared inputs in jobs/city_themes/declarations.yaml) and rebuilds the table whole from the
gold tables, which are small: a rerun gives the same table.

    python -m jobs.run city_themes --logical-date 2022-05-08 --expectations-dir expectations
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs import products

PRODUCT = "city_themes"


@dataclass(frozen=True)
class Contribution:
    """One source's measure: which gold table, its period column and grain, and the value to sum."""

    source: str
    table: str
    period_column: str
    period: str  # "day", "week" or "month"
    measure: str
    value: str  # a column of the gold table, summed per period and theme


CONTRIBUTIONS = (
    Contribution("nyc_311", "gold.service_requests_daily", "day", "day", "requests_opened", "requests_opened"),
    Contribution("nyc_311", "gold.service_requests_daily", "day", "day", "requests_closed", "requests_closed"),
    Contribution("nyc_tlc_yellow", "gold.mobility_daily", "day", "day", "taxi_trips", "trips"),
    Contribution("chicago_crimes", "gold.incident_hotspots_weekly", "week", "week", "incidents", "incidents"),
    Contribution("nyc_dsny_waste", "gold.waste_diversion_monthly", "month", "month", "tons_collected", "total_tons"),
    # Posts in cells published past small-cell suppression (a suppressed cell's posts are NULL).
    Contribution("social_posts", "gold.public_opinion_daily", "day", "day", "opinion_posts", "posts"),
)


def city_themes(tables: dict[str, DataFrame]) -> DataFrame | None:
    """The stacked measures of the contributions whose gold table is in ``tables`` (None if none is)."""
    parts = [
        tables[c.table]
        .groupBy(F.col(c.period_column).alias("period_start"), "theme")
        .agg(F.sum(c.value).cast("double").alias("value"))
        .select(
            "period_start",
            F.lit(c.period).alias("period"),
            "theme",
            F.lit(c.source).alias("source"),
            F.lit(c.measure).alias("measure"),
            "value",
        )
        for c in CONTRIBUTIONS
        if c.table in tables
    ]
    if not parts:
        return None
    stacked = parts[0]
    for part in parts[1:]:
        stacked = stacked.unionByName(part)
    return stacked


build = city_themes  # the product's transform, under the name every product module gives it (jobs/erasure.py rebuilds with it)


def main(argv: list[str] | None = None, spark=None) -> None:
    products.main(PRODUCT, build, argv, spark)
