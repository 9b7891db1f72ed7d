"""Social posts as pure DataFrame transforms: bronze lines -> typed posts -> (published, quarantined) -> silver -> gold.

Both delivered shapes (``jobs/social/columns.py``) become one typed post: twarc2's and Weibo's fields
are read per line by the shape its fields say it is. Past bronze a post keeps its borough only (no
coordinates, place or profile text), its author as keyed pseudonyms (``jobs/pseudonyms.py``, applied
by the pipeline from the declaration), and its text masked: e-mail addresses, @handles and phone
numbers replaced by ``[email]``, ``@user`` and ``[phone]``, before anything reads the text.

What counts as an opinion (``counts_in_opinion``), documented heuristics over one delivery:

- a repost (twarc2 ``referenced_tweets`` ``retweeted``, Weibo ``retweeted_status``) repeats someone
  else's opinion: kept, flagged, not counted;
- a near duplicate: an earlier post of the delivery again, slightly changed (the usual way past
  exact-duplicate filters) or posted again by its own author: the same text once links, tags,
  @handles, punctuation and case are set aside ("thanks MTA!!" = "Thanks MTA https://t.co/x #NYC"),
  naming the same borough if any ("#法拉盛# 垃圾..." and "#曼哈顿# 垃圾..." are two reports). Only the
  earliest counts. The very same words from two different people are two opinions (a short
  common reaction, a shared template). An exact duplicate line (same post id) is quarantined as
  ``duplicate_post_in_file``;
- a bot-like account: it posted ``BOT_REPEATS`` or more posts in the delivery whose texts are the same
  once digits are removed (a template with a counter or a clock), or its lifetime rate is at least
  ``BOT_POSTS_PER_DAY`` posts a day (one every 10 minutes, around the clock, since it was created).

Gold ``public_opinion_daily``: per city day x borough x theme, over the posts that count and have a
theme. Small cells are suppressed: a cell with fewer than ``min_authors`` distinct authors (k, default
``MIN_AUTHORS``, ``CITYLAKE_OPINION_MIN_AUTHORS``) is published as ``suppressed`` with every measure
NULL, so the suppression is on record. No city-wide row is published beside the boroughs: the city-wide
figure minus the published boroughs would give the suppressed cell away.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from datetime import date

import pandas as pd
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, DoubleType, StringType, StructField, StructType

from jobs import row_rules
from jobs.delivered import number
from jobs.social import columns as raw

CITY_TIMEZONE = "America/New_York"
# A post delivered again replaces the stored one only when collected as late or later: a re-collection of
# an old day (new counts) wins whatever order the days are run or rerun in.
SILVER_UPDATE_WHEN = "source.collected_at >= target.collected_at"
TWARC2_TIMESTAMP = "yyyy-MM-dd'T'HH:mm:ss.SSSX"
# Weibo's "Sat Mar 02 10:15:00 +0800 2024": Spark cannot parse a day-of-week, so the first 4 characters go.
WEIBO_TIMESTAMP = "MMM dd HH:mm:ss Z yyyy"
LANGUAGES = ("en", "zh")
BOT_REPEATS = 5
BOT_POSTS_PER_DAY = 144
MIN_AUTHORS = 5
TOP_TERMS = 5
UNKNOWN_BOROUGH = "unknown"
LOCATION_SOURCES = ("coordinates", "place", "text", "profile")  # in the order a post's borough is looked for

ROW_RULES = {
    "malformed_line": "the line is not a JSON object (broken or truncated JSON, an empty line, an array): kept whole in raw_record",
    "shape_unknown": "the object has the fields of neither (or both) of the shapes read: twarc2 (X API v2) and Weibo",
    "id_missing": "the post has no id (twarc2 id, Weibo mid)",
    "author_missing": "the post names no author (twarc2 author_id, Weibo user.id): distinct authors and bot flags need one",
    "created_at_missing": "the post has no created_at",
    "created_at_unparseable": f"created_at is neither twarc2's ISO 8601 ({TWARC2_TIMESTAMP}) nor Weibo's (EEE {WEIBO_TIMESTAMP})",
    "language_unknown": f"lang is none of the languages read ({', '.join(LANGUAGES)}) nor one of X's no-language codes",
    "text_empty": "the post has no text",
    "duplicate_post_in_file": "the file holds this post more than once (an exact duplicate line); one is kept",
}

# Masks, in this order: an e-mail address holds an @ that must not read as a handle. Letters of any
# script (anna@müller-bau.de); digits bounded by non-digits, not \b (Java 17 counts a Chinese character
# as a word character, so "请拨打718-555-0142联系我" would keep its number).
# Java's regex engine tries a pattern at every position of a text. An address's name is tried only where a
# run of its characters starts, and taken whole (it cannot hold the @ that must follow it): tried from every
# position, a Chinese text (letters without spaces) cost quadratic time in its length.
EMAIL = r"(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}._%+-]++@[\p{L}\p{N}_-]+(\.[\p{L}\p{N}_-]+)*\.\p{L}{2,}"
HANDLE = r"@[\p{L}\p{N}_-]+"
# North American numbers as people write them (212-555-0123, (212) 555 0123, +1 212.555.0123), and
# Chinese mobile numbers (13812345678). The lookahead rejects at once a position no number can start at.
PHONE = r"(?=[+(\d])(?:(?<!\d)(\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}(?!\d)|(?<!\d)1[3-9]\d{9}(?!\d))"


def _field(df: DataFrame, name: str) -> Column:
    """A delivered top-level field (NULL when no delivery in bronze had it)."""
    return F.col(f"`{name}`") if name in df.columns else F.lit(None).cast("string")


def _json(column: Column, path: str) -> Column:
    return F.get_json_object(column, path)


# The fields typing reads from a post's nested objects, each object parsed once per line: a
# ``get_json_object`` per field would make its own parser and decoder over the same text. Every leaf is
# a string (a number keeps its JSON text, as ``get_json_object`` gives it), so a field of an unexpected
# type reads as text rather than nulling its object. ``coordinates``: an object on X, an array on Weibo.
USER_FIELDS = (
    "struct<id:string,idstr:string,username:string,screen_name:string,location:string,created_at:string,"
    "statuses_count:string,public_metrics:struct<tweet_count:string>>"
)
GEO_FIELDS = "struct<coordinates:string,full_name:string,place_type:string,geo:struct<bbox:string>>"
METRICS_FIELDS = "struct<retweet_count:string,like_count:string>"
REPOSTED_STATUS_FIELDS = "struct<mid:string,idstr:string>"


def html_unescaped(text: Column) -> Column:
    """X's API escapes &, < and > in a post's text; ``&amp;`` last, so "&amp;lt;" stays "&lt;"."""
    return F.replace(F.replace(F.replace(text, F.lit("&lt;"), F.lit("<")), F.lit("&gt;"), F.lit(">")), F.lit("&amp;"), F.lit("&"))


def masked(text: Column) -> Column:
    """The text with e-mail addresses, @handles and phone numbers masked."""
    text = F.regexp_replace(text, EMAIL, "[email]")
    text = F.regexp_replace(text, HANDLE, "@user")
    return F.regexp_replace(text, PHONE, "[phone]")


def typed_posts(bronze_batch: DataFrame, delivered_columns: tuple[str, ...] | None = None) -> DataFrame:
    """One typed post per bronze line, whichever shape, keeping the raw line for quarantine."""

    def field(name: str) -> Column:
        return _field(bronze_batch, name)

    twarc2_markers = [field(name).isNotNull() for name in sorted(raw.TWARC2_MARKERS)]
    weibo_markers = [field(name).isNotNull() for name in sorted(raw.WEIBO_MARKERS)]
    is_twarc2, is_weibo = F.greatest(*twarc2_markers), F.greatest(*weibo_markers)
    shape = F.when(F.col("_corrupt_record").isNotNull(), F.lit(None)).when(is_twarc2 & ~is_weibo, F.lit("twarc2")).when(is_weibo & ~is_twarc2, F.lit("weibo"))
    twarc2 = F.col("_shape") == "twarc2"

    user, geo, metrics, reposted_status = F.col("_user"), F.col("_geo"), F.col("_metrics"), F.col("_reposted_status")
    references, bbox = F.col("_references"), F.col("_bbox")
    # F.get: NULL past the end of an array (indexing with [] fails under ANSI mode).
    retweeted = F.get(F.filter(references, lambda reference: reference["type"] == "retweeted"), 0)["id"]
    replied_or_quoted = F.get(F.filter(references, lambda reference: reference["type"].isin("replied_to", "quoted")), 0)["type"]
    weibo_reposted = F.coalesce(reposted_status["mid"], reposted_status["idstr"])
    reposted = F.when(twarc2, retweeted).otherwise(weibo_reposted)
    lang = F.lower(field("lang"))
    text = F.when(twarc2, html_unescaped(field("text"))).otherwise(field("text"))
    created_text = field("created_at")
    created_at = F.when(twarc2, F.try_to_timestamp(created_text, F.lit(TWARC2_TIMESTAMP))).otherwise(
        F.try_to_timestamp(F.substring(created_text, 5, 64), F.lit(WEIBO_TIMESTAMP))
    )
    author_created_text = user["created_at"]
    author_created = F.when(twarc2, F.try_to_timestamp(author_created_text, F.lit(TWARC2_TIMESTAMP))).otherwise(
        F.try_to_timestamp(F.substring(author_created_text, 5, 64), F.lit(WEIBO_TIMESTAMP))
    )
    # GeoJSON order on X ([longitude, latitude]); Weibo puts latitude first.
    coordinates = geo["coordinates"]
    longitude = F.when(twarc2, _json(coordinates, "$.coordinates[0]")).otherwise(_json(coordinates, "$[1]"))
    latitude = F.when(twarc2, _json(coordinates, "$.coordinates[1]")).otherwise(_json(coordinates, "$[0]"))
    metadata_columns = ["_corrupt_record", "_ingested_at", *row_rules.LINEAGE]  # not "__twarc": a delivered field
    return (
        bronze_batch.withColumn("_shape", shape)
        .withColumns(
            {
                "_user": F.from_json(F.when(twarc2, field("author")).otherwise(field("user")), USER_FIELDS),
                "_geo": F.from_json(field("geo"), GEO_FIELDS),
                "_metrics": F.from_json(field("public_metrics"), METRICS_FIELDS),
                "_reposted_status": F.from_json(field("retweeted_status"), REPOSTED_STATUS_FIELDS),
                "_references": F.from_json(field("referenced_tweets"), "array<struct<type:string,id:string>>"),
            }
        )
        .withColumn("_bbox", F.from_json(F.col("_geo.geo.bbox"), "array<double>"))
        .select(
            *metadata_columns,
            "_shape",
            row_rules.raw_record(bronze_batch, delivered_columns).alias("_raw_record"),
            F.when(F.col("_shape") == "twarc2", F.lit("x")).when(F.col("_shape") == "weibo", F.lit("weibo")).alias("platform"),
            F.when(twarc2, field("id")).otherwise(F.coalesce(field("mid"), field("idstr"), field("id"))).alias("post_id"),
            created_text.alias("_created_text"),
            created_at.alias("created_at"),
            F.when(twarc2, lang).otherwise(F.lit("zh")).alias("_lang"),
            text.alias("_text"),
            F.when(twarc2, field("author_id")).otherwise(F.coalesce(user["idstr"], user["id"])).alias("author_id"),
            F.when(twarc2, user["username"]).otherwise(user["screen_name"]).alias("author_handle"),
            user["location"].alias("_profile_location"),
            F.when(twarc2, user["public_metrics"]["tweet_count"]).otherwise(user["statuses_count"]).try_cast("bigint").alias("_author_posts"),
            author_created.alias("_author_created_at"),
            number(longitude).alias("_longitude"),
            number(latitude).alias("_latitude"),
            F.when(twarc2, geo["full_name"]).alias("_place_name"),
            F.when(twarc2, geo["place_type"]).alias("_place_type"),
            F.when(twarc2, (F.get(bbox, 0) + F.get(bbox, 2)) / 2).alias("_place_longitude"),
            F.when(twarc2, (F.get(bbox, 1) + F.get(bbox, 3)) / 2).alias("_place_latitude"),
            reposted.alias("reposted_post_id"),
            F.when(reposted.isNotNull(), F.lit("repost"))
            .when(twarc2 & (replied_or_quoted == "replied_to"), F.lit("reply"))
            .when(twarc2 & (replied_or_quoted == "quoted"), F.lit("quote"))
            .otherwise(F.lit("original"))
            .alias("post_kind"),
            F.when(twarc2, metrics["retweet_count"]).otherwise(field("reposts_count")).try_cast("bigint").alias("repost_count"),
            # When the platform was asked for the post (twarc's request time; a Weibo export has none: bronze's).
            F.coalesce(F.when(twarc2, F.try_to_timestamp(_json(field("__twarc"), "$.retrieved_at"))), F.col("_ingested_at")).alias("collected_at"),
            F.when(twarc2, metrics["like_count"]).otherwise(field("attitudes_count")).try_cast("bigint").alias("like_count"),
        )
        .withColumn(
            "language",
            F.when(F.col("_lang").isin(*LANGUAGES), F.col("_lang"))
            .when(F.col("_lang").startswith("zh"), F.lit("zh"))
            # X's codes for "no language" (media only, hashtags only...): read by the script the text is in
            .when(F.col("_lang").isin(*raw.TWITTER_NO_LANGUAGE_CODES), F.when(F.col("_text").rlike(r"\p{IsHan}"), F.lit("zh")).otherwise(F.lit("en"))),
        )
        .withColumn("_post_key", F.concat_ws(":", "platform", "post_id"))
    )


def _broken_rule() -> Column:
    return (
        F.when(F.col("_corrupt_record").isNotNull(), F.lit("malformed_line"))
        .when(F.col("_shape").isNull(), F.lit("shape_unknown"))
        .when(F.col("post_id").isNull() | (F.trim("post_id") == ""), F.lit("id_missing"))
        .when(F.col("author_id").isNull() | (F.trim("author_id") == ""), F.lit("author_missing"))
        .when(F.col("_created_text").isNull(), F.lit("created_at_missing"))
        .when(F.col("created_at").isNull(), F.lit("created_at_unparseable"))
        .when(F.col("language").isNull(), F.lit("language_unknown"))
        .when(F.col("_text").isNull() | (F.trim("_text") == ""), F.lit("text_empty"))
    )


def split_by_row_rules(typed: DataFrame) -> tuple[DataFrame, DataFrame]:
    """``(published, quarantined)``: one version per post; an exact duplicate line is quarantined."""
    return row_rules.split_by_row_rules(
        typed,
        _broken_rule(),
        ROW_RULES,
        key="_post_key",
        newest_first=[],
        duplicate_rule="duplicate_post_in_file",
        record_key=F.col("post_id"),
        record_key_name="post_id",
    )


FEATURES = StructType(
    [
        StructField("borough", StringType()),
        StructField("location_source", StringType()),
        StructField("themes", ArrayType(StringType())),
        StructField("topic_keywords", ArrayType(StructType([StructField("theme", StringType()), StructField("keyword", StringType())]))),
        StructField("sentiment_score", DoubleType()),
        StructField("sentiment", StringType()),
        StructField("text_borough", StringType()),  # a borough the text names: tells "#法拉盛# ..." from "#曼哈顿# ..."
    ]
)


def post_features(
    longitude: pd.Series, latitude: pd.Series, place_name: pd.Series, place_type: pd.Series, place_longitude: pd.Series,
    place_latitude: pd.Series, text: pd.Series, profile_location: pd.Series, language: pd.Series, scorer,
) -> pd.DataFrame:
    """Borough, themes and sentiment of a chunk of posts (pure pandas: the UDF below calls it per chunk).

    Borough, first found: coordinates (inside the shoreline boundaries), the place's name (gazetteer),
    a neighbourhood's or point of interest's box centre, a place named in the text, the profile location.
    """
    from jobs.borough_boundaries import boroughs_of_points
    from jobs.social.gazetteer import borough_named_in, borough_of_place, normalise
    from jobs.social.sentiment import classify
    from jobs.social.terms import words_of
    from jobs.social.topics import topics_in

    by_point = boroughs_of_points(longitude.astype(float), latitude.astype(float))
    small_place = place_type.isin(["poi", "neighborhood"])
    by_box = boroughs_of_points(place_longitude.where(small_place).astype(float), place_latitude.where(small_place).astype(float))
    # Place names and profile locations repeat (an author's every post carries the profile): each is looked up
    # once per chunk. The dictionary lives as long as the chunk, so no location outlives the task that read it.
    borough_of = functools.cache(borough_of_place)

    # What a text says depends on the text and its language alone, and texts repeat (a repost carries its
    # original's, "RT @user: ..." or Weibo's "转发微博"; bots post templates): each is read once per chunk too.
    @functools.cache
    def read(post_text: str | None, post_language: str | None) -> tuple:
        # The gazetteer and the taxonomy search the same normalised words: split once.
        normalised = normalise(post_text or "")
        words = words_of(normalised)
        themes, keywords = topics_in(normalised, words)
        score = scorer.score(post_text, post_language)
        keywords_found = [{"theme": theme, "keyword": keyword} for theme, keyword in keywords]
        return borough_named_in(normalised, words), themes, keywords_found, score, classify(score, post_language)

    rows = []
    # Plain lists: pandas' per-row access (``.iat``) cost more than some of the features.
    columns = zip(text.tolist(), language.tolist(), place_name.tolist(), profile_location.tolist())
    for index, (post_text, post_language, place, profile) in enumerate(columns):
        named_in_text, themes, keywords_found, score, sentiment = read(post_text, post_language)
        found = (
            lambda: by_point[index],
            lambda: borough_of(place) or by_box[index],
            lambda: named_in_text,
            lambda: borough_of(profile),
        )
        borough, source = next(
            ((borough, source) for where, source in zip(found, LOCATION_SOURCES) if (borough := where())), (UNKNOWN_BOROUGH, "none")
        )
        rows.append((borough, source, themes, keywords_found, score, sentiment, named_in_text))
    return pd.DataFrame(rows, columns=[field.name for field in FEATURES.fields])


def _features_udf():
    """The vectorised UDF: one sentiment analyser per task, not per row."""

    @F.pandas_udf(FEATURES)
    def features(chunks: Iterator[tuple[pd.Series, ...]]) -> Iterator[pd.DataFrame]:
        from jobs.social.sentiment import Scorer

        scorer = Scorer()
        for chunk in chunks:
            yield post_features(*chunk, scorer=scorer)

    return features


def features_of(text: Column) -> Column:
    """The features struct (``FEATURES``) of a typed post whose masked text is ``text``."""
    return _features_udf()(
        "_longitude", "_latitude", "_place_name", "_place_type", "_place_longitude", "_place_latitude", text, "_profile_location", "language"
    )


def social_posts(published: DataFrame) -> DataFrame:
    """Silver rows: masked text, borough, themes, sentiment and the repost / near-duplicate / bot flags."""
    from jobs.social import sentiment, topics

    # Masked once: a column both kept and passed to the UDF would be computed for each (two Projects' worth of
    # regular expressions), so the UDF reads the masked column.
    posts = published.withColumn("_masked", masked(F.col("_text")))
    posts = posts.withColumn("_features", features_of(F.col("_masked")))
    # Near duplicates: the text without links, tags, handles, punctuation and case, per delivery.
    skeleton = F.trim(F.regexp_replace(F.lower(F.regexp_replace(F.col("_masked"), r"https?://\S+|#[^#\s]+#?|@user|\[(email|phone)\]", " ")), r"[^\p{L}\p{N}]+", " "))
    template = F.regexp_replace(F.lower(F.col("_masked")), r"\p{N}+", "0")
    # The windows partition by columns, not expressions: Spark shuffles and sorts once for all windows of
    # one partitioning only when their partitions name the same columns (an expression is a new one each time).
    posts = posts.withColumns(
        {"_skeleton": skeleton, "_template": template, "_is_repost": F.col("post_kind") == "repost", "_text_borough": F.col("_features.text_borough")}
    )
    is_repost = F.col("_is_repost")
    # A repost's text is someone else's (or a default such as "转发微博"): never the original a copy is of.
    earliest = Window.partitionBy("_skeleton", "_text_borough", "_is_repost").orderBy("created_at", "post_id")
    days_alive = F.greatest(F.datediff("created_at", "_author_created_at"), F.lit(1))
    templated = (F.col("_repeats") >= BOT_REPEATS) & ~is_repost
    posts = (
        # One shuffle by author for both of an author's windows: rows hashed by author_id are also grouped by
        # (author_id, template, is_repost), where Spark would shuffle again for each of the two partitionings.
        posts.repartition("author_id")
        .withColumn("_repeats", F.count("*").over(Window.partitionBy("author_id", "_template", "_is_repost")))
        # The account is bot-like, so every post of it is left out, not only its templated ones.
        .withColumn("_templated_account", F.max(templated.cast("int")).over(Window.partitionBy("author_id")) == 1)
        .withColumn("is_bot", F.col("_templated_account") | F.coalesce(F.col("_author_posts") / days_alive >= BOT_POSTS_PER_DAY, F.lit(False)))
        .withColumns(
            {
                "_first_of_text": F.first("post_id").over(earliest),
                "_first_author": F.first("author_id").over(earliest),
                "_first_text": F.first("_masked").over(earliest),
            }
        )
    )
    original = ~is_repost
    copies = (F.col("_first_author") == F.col("author_id")) | (F.col("_first_text") != F.col("_masked"))
    is_near_duplicate = original & (F.col("_skeleton") != "") & (F.col("_first_of_text") != F.col("post_id")) & copies
    return posts.select(
        "platform",
        "post_id",
        "created_at",
        F.to_date(F.from_utc_timestamp("created_at", CITY_TIMEZONE)).alias("created_date"),
        "language",
        "post_kind",
        "reposted_post_id",
        "author_id",
        "author_handle",
        F.col("_masked").alias("text"),
        F.col("_features.borough").alias("borough"),
        F.col("_features.location_source").alias("location_source"),
        F.col("_features.themes").alias("themes"),
        F.col("_features.topic_keywords").alias("topic_keywords"),
        F.lit(topics.taxonomy().version).alias("taxonomy_version"),
        F.col("_features.sentiment_score").alias("sentiment_score"),
        F.col("_features.sentiment").alias("sentiment"),
        F.lit(sentiment.method()).alias("sentiment_method"),
        "is_bot",
        is_near_duplicate.alias("is_near_duplicate"),
        F.when(is_near_duplicate, F.col("_first_of_text")).alias("near_duplicate_of"),
        (original & ~is_near_duplicate & ~F.col("is_bot")).alias("counts_in_opinion"),
        "repost_count",
        "like_count",
        "collected_at",
        F.col("_source_file").alias("source_file"),
        F.col("_batch_id").alias("batch_id"),
    )


def min_authors() -> int:
    """k of the small-cell suppression, from ``CITYLAKE_OPINION_MIN_AUTHORS`` (default ``MIN_AUTHORS``)."""
    value = os.environ.get("CITYLAKE_OPINION_MIN_AUTHORS", str(MIN_AUTHORS))
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"CITYLAKE_OPINION_MIN_AUTHORS must be a whole number of at least 1, not {value!r}")
    return int(value)


def public_opinion_daily(posts: DataFrame, first_day: date, last_day: date, k: int | None = None) -> DataFrame:
    """Gold: per day x borough x theme, over the posts that count as opinions and have a theme; cells under k suppressed."""
    k = min_authors() if k is None else k
    counted = posts.where(F.col("created_date").between(first_day, last_day) & F.col("counts_in_opinion"))
    cells = counted.select(
        F.col("created_date").alias("day"), "borough", "author_id", "sentiment_score", "sentiment", "topic_keywords", F.explode("themes").alias("theme")
    )
    measures = cells.groupBy("day", "borough", "theme").agg(
        F.count("*").alias("posts"),
        F.countDistinct("author_id").alias("distinct_authors"),
        # Exact decimal sums: a double sum depends on the order rows arrive in, and a rerun must give the same figure.
        F.round(F.avg(F.col("sentiment_score").cast("decimal(12,4)")), 4).cast("double").alias("mean_sentiment"),
        F.round(F.avg((F.col("sentiment") == "negative").cast("double")), 4).alias("share_negative"),
    )
    found = cells.select("day", "borough", "theme", F.explode("topic_keywords").alias("found")).where(F.col("found.theme") == F.col("theme"))
    counts = found.groupBy("day", "borough", "theme", F.col("found.keyword").alias("keyword")).count()
    most_found = Window.partitionBy("day", "borough", "theme").orderBy(F.desc("count"), "keyword")
    terms = (
        counts.withColumn("_rank", F.row_number().over(most_found))
        .where(F.col("_rank") <= TOP_TERMS)
        .groupBy("day", "borough", "theme")
        .agg(F.sort_array(F.collect_list(F.struct("_rank", "keyword"))).alias("_ranked"))
        .select("day", "borough", "theme", F.col("_ranked.keyword").alias("top_terms"))
    )
    suppressed = F.col("distinct_authors") < k

    def unless_suppressed(name: str) -> Column:
        return F.when(~suppressed, F.col(name)).alias(name)

    return measures.join(terms, ["day", "borough", "theme"], "left").select(
        "day",
        "borough",
        "theme",
        suppressed.alias("suppressed"),
        F.lit(k).cast("int").alias("min_authors"),
        *[unless_suppressed(name) for name in ("posts", "distinct_authors", "mean_sentiment", "share_negative")],
        F.when(~suppressed, F.coalesce(F.col("top_terms"), F.array().cast("array<string>"))).alias("top_terms"),
    )
