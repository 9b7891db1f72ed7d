"""City issue priority as a pure DataFrame transform: 311 requests and public opinion per week, borough and theme.

The score, every part a column so a reader sees why a theme ranks high (weights sum to 1, score 0..1):

    priority_score = 0.4 x request_volume_part      requests / the week's largest requests of any borough and theme
                   + 0.1 x request_growth_part      relative change on the week before, clipped to 0..1
                   + 0.4 x negativity_part          share of negative posts (0 when suppressed or none)
                   + 0.1 x negativity_growth_part   change in that share on the week before, clipped to 0..1

Volume and negativity weigh most: a service many residents report and most posters complain about
comes first; growth breaks ties towards what is getting worse. Opinion counts only the posts that are
opinions of their own (``silver.social_posts.counts_in_opinion``), in one of the five boroughs; a week's
cell with fewer than k distinct authors, or with a day that has fewer (a day ``gold.public_opinion_daily``
suppresses, which the week minus its published days would reveal), is suppressed: its opinion columns NULL,
its negativity 0. 311's "Unspecified" borough and posts placed nowhere are left out: they
cannot be given to a borough.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from jobs.nyc_boroughs import BOROUGHS as CURATED_BOROUGHS
from jobs.social.transforms import min_authors

BOROUGHS = tuple(CURATED_BOROUGHS.values())  # as every curated table spells them
WEIGHTS = {"request_volume_part": 0.4, "request_growth_part": 0.1, "negativity_part": 0.4, "negativity_growth_part": 0.1}
KEY = ["week", "borough", "theme"]


def _week(day: Column) -> Column:
    return F.date_trunc("week", day).cast("date")


def _clipped(value: Column) -> Column:
    return F.least(F.greatest(F.coalesce(value, F.lit(0.0)), F.lit(0.0)), F.lit(1.0))


def _week_before(frame: DataFrame, columns: list[str]) -> DataFrame:
    """``frame``'s columns one week later, renamed ``<name>_week_before``, to join on the later week."""
    return frame.select(F.date_add("week", 7).alias("week"), "borough", "theme", *[F.col(name).alias(f"{name}_week_before") for name in columns])


def weekly_requests(requests_daily: DataFrame) -> DataFrame:
    return (
        requests_daily.where(F.col("borough").isin(*BOROUGHS))
        .groupBy(_week(F.col("day")).alias("week"), "borough", "theme")
        .agg(F.sum("requests_opened").cast("bigint").alias("requests"))
    )


def weekly_opinion(posts: DataFrame, k: int) -> DataFrame:
    """A week's opinion per borough and theme; suppressed when the week, or any of its days, has fewer than k authors.

    A day: ``gold.public_opinion_daily`` suppresses that day's cell, and the week minus its published days
    would give it away.
    """
    counted = posts.where(F.col("counts_in_opinion") & F.col("borough").isin(*BOROUGHS)).select(
        _week(F.col("created_date")).alias("week"), "created_date", "borough", "author_id", "sentiment", F.explode("themes").alias("theme")
    )
    smallest_day = (
        counted.groupBy("week", "created_date", "borough", "theme")
        .agg(F.countDistinct("author_id").alias("_day_authors"))
        .groupBy("week", "borough", "theme")
        .agg(F.min("_day_authors").alias("_fewest_day_authors"))
    )
    return (
        counted.groupBy("week", "borough", "theme")
        .agg(
            F.count("*").alias("opinion_posts"),
            F.countDistinct("author_id").alias("opinion_authors"),
            (F.sum((F.col("sentiment") == "negative").cast("int")) / F.count("*")).alias("share_negative"),
        )
        .join(smallest_day, ["week", "borough", "theme"])
        .withColumn("opinion_suppressed", (F.col("opinion_authors") < k) | (F.col("_fewest_day_authors") < k))
        .drop("_fewest_day_authors")
    )


def city_issue_priority(requests_daily: DataFrame, posts: DataFrame, k: int | None = None) -> DataFrame:
    """Gold rows: every week, borough and theme with 311 requests or opinion posts, scored and ranked."""
    k = min_authors() if k is None else k
    requests = weekly_requests(requests_daily)
    opinion = weekly_opinion(posts, k)
    # Suppressed cells say nothing about their share, this week or as the week before of the next.
    shown = opinion.select(*KEY, "opinion_suppressed", "opinion_posts", "opinion_authors", F.when(~F.col("opinion_suppressed"), F.col("share_negative")).alias("share_negative"))
    weeks = requests.join(shown, KEY, "full")
    cells = (
        weeks.join(_week_before(requests, ["requests"]), KEY, "left")
        .join(_week_before(shown, ["share_negative"]), KEY, "left")
        .withColumn("requests", F.coalesce("requests", F.lit(0)).cast("bigint"))
        .withColumn("requests_week_before", F.coalesce("requests_week_before", F.lit(0)).cast("bigint"))
        .withColumn("opinion_suppressed", F.coalesce("opinion_suppressed", F.lit(False)))
    )
    in_week = Window.partitionBy("week")
    largest = F.max("requests").over(in_week)
    scored = cells.select(
        *KEY,
        "requests",
        "requests_week_before",
        F.when(F.col("requests_week_before") > 0, F.round((F.col("requests") - F.col("requests_week_before")) / F.col("requests_week_before"), 4)).alias("requests_change"),
        "opinion_suppressed",
        *[F.when(~F.col("opinion_suppressed"), F.col(name)).alias(name) for name in ("opinion_posts", "opinion_authors")],
        F.round("share_negative", 4).alias("share_negative"),
        F.round("share_negative_week_before", 4).alias("share_negative_week_before"),
        F.round(F.col("share_negative") - F.col("share_negative_week_before"), 4).alias("share_negative_change"),
        F.round(F.when(largest > 0, F.col("requests") / largest).otherwise(F.lit(0.0)), 4).alias("request_volume_part"),
    )
    scored = (
        scored.withColumn("request_growth_part", F.round(_clipped(F.col("requests_change")), 4))
        .withColumn("negativity_part", F.round(F.coalesce(F.col("share_negative"), F.lit(0.0)), 4))
        .withColumn("negativity_growth_part", F.round(_clipped(F.col("share_negative_change")), 4))
    )
    score = sum((F.col(part) * weight for part, weight in WEIGHTS.items()), F.lit(0.0))
    return (
        scored.withColumn("priority_score", F.round(score, 4))
        .withColumn("priority_rank", F.rank().over(Window.partitionBy("week").orderBy(F.desc("priority_score"))).cast("int"))
        .withColumn("min_authors", F.lit(k).cast("int"))
    )
