"""Social posts: landing JSON Lines, the post features without Spark, then a day of both shapes on Delta.

The gold figures are recomputed with pandas from silver (sharing no code with the job), silver is
checked against the generator's ground truth (borough, themes, bots, duplicates), and no handle, name,
e-mail address or phone number of the delivered posts is in any silver or gold table.
"""

from __future__ import annotations

import gzip
import html
import json
import re
from collections import Counter
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from jobs.borough_boundaries import borough_of_point
from jobs.landing import LandingError, inspect_delivery
from jobs.social import columns
from jobs.social.sentiment import Scorer, classify
from jobs.social.topics import topics_of
from jobs.synthetic import social
from tests import pipeline_runs
from tests.personal_data import clear_identifiers_of_posts

DAY = date(2024, 3, 2)


# --- landing: JSON Lines, no Spark ---------------------------------------------------------------


def test_a_json_lines_delivery_counts_every_line_and_lists_every_top_level_field(tmp_path):
    path = tmp_path / "posts.jsonl"
    path.write_text('{"id": "1", "text": "a", "created_at": "x", "author_id": "9"}\n\n{"id": "2", "lang": "en"\n[{"id": "3"}]\r\n{"mid": "5", "user": {}}\n', encoding="utf-8")
    size, _, rows, found = inspect_delivery(path, columns.REQUIRED_COLUMNS)
    assert (rows, found) == (5, ["id", "text", "created_at", "author_id", "mid", "user"])
    zipped = tmp_path / "posts.jsonl.gz"
    zipped.write_bytes(gzip.compress(path.read_bytes()))
    assert inspect_delivery(zipped, columns.REQUIRED_COLUMNS)[2:] == (5, found)


def test_a_json_lines_delivery_without_any_object_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "posts.jsonl"
    path.write_text("not json\n[1, 2]\n", encoding="utf-8")
    with pytest.raises(LandingError, match=r"posts\.jsonl: no line holds a JSON object"):
        inspect_delivery(path, columns.REQUIRED_COLUMNS)


# --- the post features, no Spark ---------------------------------------------------------------


def test_a_coordinate_is_placed_in_its_borough_and_one_in_the_water_in_none():
    assert borough_of_point(-73.9857, 40.7484) == "Manhattan"  # Empire State Building
    assert borough_of_point(-73.9442, 40.6782) == "Brooklyn"
    assert borough_of_point(-73.8648, 40.8448) == "Bronx"
    assert borough_of_point(-74.1502, 40.5795) == "Staten Island"
    assert borough_of_point(-73.7949, 40.7282) == "Queens"
    assert borough_of_point(-74.0445, 40.6892) == "Manhattan"  # Liberty Island: an island of Manhattan's
    assert borough_of_point(-74.015, 40.75) is None  # the Hudson, between Manhattan and New Jersey
    assert borough_of_point(-74.03, 40.665) is None  # Upper New York Bay
    assert borough_of_point(None, 40.7) is None


def test_topics_match_whole_words_prefixes_and_chinese_anywhere():
    found = [("transport", "mta"), ("transport", "delay"), ("transport", "train")]
    assert topics_of("thanks MTA, another 40 minute delay on the A train") == (["transport"], found)
    assert topics_of("the trainee chef was great")[0] == []  # "train" is a whole word only
    assert topics_of("delays again")[0] == ["transport"]  # "delay*" is a prefix
    assert topics_of("楼下的垃圾三天没人收了")[0] == ["waste and sanitation"]
    assert topics_of(None) == ([], [])


def test_topics_found_in_one_pass_are_those_each_keyword_finds_on_its_own():
    """The one-pass search against the plain rule, keyword by keyword, on a day of each shape."""
    from jobs.social.gazetteer import normalise
    from jobs.social.topics import taxonomy

    def one_by_one(text: str) -> set[tuple[str, str]]:
        normalised = normalise(text)
        found = set()
        for theme, keyword in taxonomy().keywords:
            key = normalise(keyword.rstrip("*"))
            tail = "" if keyword.endswith("*") else r"(?![0-9a-z\u00c0-\u024f])"
            pattern = re.escape(key) if not key.isascii() else rf"(?<![0-9a-z\u00c0-\u024f]){re.escape(key)}{tail}"
            if re.search(pattern, normalised):
                found.add((theme, keyword.rstrip("*").lower()))
        return found

    for shape in social.SHAPES:
        for record, _ in social.labelled_posts(9, 600, shape=shape):
            text = html.unescape(record["text"])
            assert set(topics_of(text)[1]) == one_by_one(text), text


@pytest.fixture(scope="module")
def scorer():
    return Scorer()


@pytest.mark.parametrize(
    "text, language, expected",
    [
        ("thanks MTA, another 40 minute delay on the A train", "en", "negative"),  # stock VADER: positive
        ("thanks for nothing, called 911 and waited forty minutes", "en", "negative"),
        ("the bus came right on time and the driver waited for me, thank you", "en", "positive"),
        ("heads up: the M15 bus is detoured until Friday", "en", "neutral"),
        ("谢谢卫生部门，我们这条街又漏收了一周", "zh", "negative"),
        ("环卫工人一大早就把整条街清理干净了，辛苦了", "zh", "positive"),
        ("这里不干净", "zh", "negative"),  # a negator flips a positive term
        ("本周末地铁部分停运，请提前安排换乘", "zh", "neutral"),
    ],
)
def test_sentiment_reads_complaints_as_complaints(scorer, text, language, expected):
    assert classify(scorer.score(text, language), language) == expected


def test_vader_without_its_emoji_pass_scores_as_the_stock_analyser():
    """The analyser skips VADER's emoji pass only where a text holds no emoji: same scores, either way."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from jobs.social.sentiment import _vader

    texts = [html.unescape(record["text"]).lower() for record, _ in social.labelled_posts(9, 600, shape="twarc2")]
    texts += ["  the A train is late again 😡 ", "love this park 😍😍", "great 👍🏽 service", "kind of slow", "not bad at all!!", "", " "]
    stock, fast = SentimentIntensityAnalyzer(), _vader()
    assert any(not fast.emoji_characters.isdisjoint(text) for text in texts)
    for text in texts:
        assert fast.polarity_scores(text) == stock.polarity_scores(text), text


def test_sentiment_caps_long_texts_and_scores_nothing_for_no_text(scorer):
    assert scorer.score("", "en") is None
    assert -1 <= scorer.score("delay " * 50_000, "en") <= 1


def test_a_text_repeated_in_a_chunk_is_read_once_and_each_post_keeps_its_own_place():
    """Reposts share their original's text: the text's features are the same, the borough each post's own."""
    from jobs.social.transforms import post_features

    class CountingScorer(Scorer):
        scored = 0

        def score(self, text, language):
            self.scored += 1
            return super().score(text, language)

    scorer = CountingScorer()
    text = "RT @user: thanks MTA, another 40 minute delay on the A train in Astoria"
    places = [None, "Williamsburg, Brooklyn", None]
    profiles = [None, None, "Bronx, NY"]
    nothing, blank = pd.Series([float("nan")] * 3), pd.Series([None] * 3, dtype=object)
    features = post_features(nothing, nothing, pd.Series(places), blank, nothing, nothing, pd.Series([text] * 3), pd.Series(profiles), pd.Series(["en"] * 3), scorer=scorer)
    alone = post_features(*[series.iloc[:1].reset_index(drop=True) for series in (nothing, nothing, blank, blank, nothing, nothing, pd.Series([text]), blank, pd.Series(["en"]))], scorer=scorer)
    assert scorer.scored == 2  # the chunk's one text, then the text alone
    assert list(zip(features["borough"], features["location_source"])) == [("Queens", "text"), ("Brooklyn", "place"), ("Queens", "text")]
    for column in ("themes", "topic_keywords", "sentiment_score", "sentiment", "text_borough"):
        assert features[column].tolist() == alone[column].tolist() * 3, column
    assert features["sentiment"][0] == "negative" and features["themes"][0] == ["transport"]


# --- a day of both shapes on Delta -------------------------------------------------------------

ROWS = 400


@pytest.fixture(scope="module")
def delivered(tmp_path_factory):
    """Both shapes of one day, with defects, written as the generator delivers them, and their lines' ground truth."""
    folder = tmp_path_factory.mktemp("social-inbox")
    files, lines = [], {}
    for shape in social.SHAPES:
        generated = social.generate_day(DAY, ROWS, seed=5, defect_share=0.05, shape=shape)
        path = folder / social.FILE_NAMES[shape].format(day=DAY.isoformat())
        path.write_text("".join(line.text + "\n" for line in generated), encoding="utf-8")
        files.append(path)
        lines[shape] = generated
    return files, lines


@pytest.fixture(scope="module")
def social_lake(spark, tmp_path_factory, delivered):
    from tests.conftest import make_settings, point_catalog_at
    from jobs.social import job

    settings = make_settings(tmp_path_factory.mktemp("social-lake"))
    point_catalog_at(spark, settings)
    files, _ = delivered
    pipeline_runs.land_and_run(spark, settings, job.SOURCE, "social_posts_daily", DAY.isoformat(), files, "social-run-1")
    return settings


def frame(spark, settings, name: str) -> pd.DataFrame:
    from tests.test_nyc311_job import table

    return table(spark, settings, name).toPandas()


def test_every_line_is_published_or_quarantined_with_the_generators_defect(spark, social_lake, delivered):
    _, lines = delivered
    checks = frame(spark, social_lake, "audit.reconciliation")
    assert checks["balanced"].all() and len(checks) == 2
    assert checks["manifest_rows"].sum() == ROWS * 2 == (checks["published_rows"] + checks["quarantined_rows"]).sum()

    # Each defect kind the generator wrote lands under the rule that names it; exact duplicates are collapsed.
    expected_rule = {
        "truncated_json": "malformed_line", "empty_line": "malformed_line", "json_array": "malformed_line", "id_missing": "id_missing",
        "created_at_missing": "created_at_missing", "created_at_unknown_format": "created_at_unparseable", "lang_unknown": "language_unknown",
        "text_empty": "text_empty",
    }
    expected = Counter(expected_rule[line.defect] for shape in lines.values() for line in shape if line.defect)
    expected["duplicate_post_in_file"] = sum(1 for shape in lines.values() for line in shape if line.label and line.label.kind == "exact_duplicate")
    quarantined = frame(spark, social_lake, "quarantine.social_posts")
    assert Counter(quarantined["rule_id"]) == expected


def test_silver_keeps_no_handle_name_email_phone_or_coordinate_of_the_posts(spark, social_lake, delivered):
    _, lines = delivered
    secrets = clear_identifiers_of_posts(line.text for shape in lines.values() for line in shape if line.label and not line.defect)
    assert len(secrets) > 500
    for name in ("silver.social_posts", "gold.public_opinion_daily"):
        rows = frame(spark, social_lake, name)
        cells = "\n".join(rows.astype(str).to_numpy().ravel())
        leaked = sorted(value for value in secrets if value in cells)
        assert not leaked, f"{name} holds {leaked[:5]}"


def test_silver_agrees_with_the_generators_ground_truth(spark, social_lake, delivered):
    from tests.test_pseudonyms import expected_pseudonym

    _, lines = delivered
    truth = {
        ("x" if shape == "twarc2" else "weibo", expected_pseudonym(line.label.post_id)): line.label
        for shape, shape_lines in lines.items()
        for line in shape_lines
        if line.label and not line.defect and line.label.kind != "exact_duplicate"
    }
    silver = frame(spark, social_lake, "silver.social_posts").set_index(["platform", "post_id"])
    assert set(silver.index) == set(truth)
    labels = pd.DataFrame([vars(label) for label in truth.values()], index=pd.MultiIndex.from_tuples(truth, names=["platform", "post_id"]))
    joined = silver.join(labels, rsuffix="_truth")

    # Where the generator placed a post, silver finds the same borough (and "unknown" where it placed none).
    placed = joined["borough_truth"].fillna("unknown")
    assert (joined["borough"] == placed).mean() >= 0.97
    by_coordinates = joined[joined["location_source_truth"] == "coordinates"]
    assert len(by_coordinates) and (by_coordinates["borough"] == by_coordinates["borough_truth"]).all()
    # Themes: the taxonomy finds nearly every theme the generator wrote, and invents none.
    found = joined.apply(lambda row: set(row["themes"]), axis=1)
    written = joined["themes_truth"].map(set)
    assert sum(len(f & w) for f, w in zip(found, written)) / sum(map(len, written)) >= 0.9
    assert all(f <= w for f, w in zip(found, written))
    # Bots and reposts never count as opinions; nothing the generator made as a bot is missed.
    assert not joined.loc[joined["is_bot_truth"], "counts_in_opinion"].any()
    assert joined.loc[joined["is_bot_truth"], "is_bot"].all()
    assert (joined.loc[~joined["is_bot_truth"], "is_bot"]).mean() <= 0.01
    assert not joined.loc[joined["is_retweet"], "counts_in_opinion"].any()
    near = joined["kind"] == "near_duplicate"
    assert joined.loc[near, "is_near_duplicate"].mean() >= 0.6
    assert joined.loc[joined["kind"] == "original", "is_near_duplicate"].mean() <= 0.02
    # Sentiment against the generator's labels (its construction rules: see the README for what this measures).
    people = joined[~joined["is_bot_truth"]]
    assert (people["sentiment"] == people["sentiment_truth"]).mean() >= 0.7


def test_no_delta_log_holds_a_personal_value_of_the_posts_restricted_zones_included(social_lake, delivered):
    from tests.personal_data import found_in_delta_logs

    _, lines = delivered
    secrets = clear_identifiers_of_posts(line.text for shape in lines.values() for line in shape)
    logs = list(Path(social_lake.lake_root).rglob("_delta_log/*.json"))
    assert any("bronze" in str(path) for path in logs) and any("quarantine" in str(path) for path in logs)
    assert not found_in_delta_logs(social_lake.lake_root, secrets)


def test_gold_opinion_matches_pandas_over_silver_with_small_cells_suppressed(spark, social_lake):
    silver = frame(spark, social_lake, "silver.social_posts")
    counted = silver[silver["counts_in_opinion"]].explode("themes").dropna(subset=["themes"])
    cells = counted.groupby(["created_date", "borough", "themes"])
    expected = pd.DataFrame(
        {
            "posts": cells.size(),
            "distinct_authors": cells["author_id"].nunique(),
            "mean_sentiment": cells["sentiment_score"].mean().round(4),
            "share_negative": cells["sentiment"].apply(lambda values: (values == "negative").mean()).round(4),
        }
    )
    expected.index.names = ["day", "borough", "theme"]
    gold = frame(spark, social_lake, "gold.public_opinion_daily").set_index(["day", "borough", "theme"]).sort_index()
    assert list(gold.index) == list(expected.sort_index().index)
    small = expected["distinct_authors"] < 5
    assert small.any() and (~small).any()
    assert gold.loc[small[small].index, "suppressed"].all()
    assert gold.loc[small[small].index, ["posts", "distinct_authors", "mean_sentiment", "share_negative", "top_terms"]].isna().all().all()
    published = gold[~gold["suppressed"]]
    pd.testing.assert_frame_equal(
        published[["posts", "distinct_authors", "mean_sentiment", "share_negative"]].astype(float),
        expected.loc[published.index].astype(float),
        atol=1e-4,
    )
    # Top terms: the theme's own taxonomy keywords, most found first.
    for (day, borough, theme), row in published.iterrows():
        in_cell = counted[(counted["created_date"] == day) & (counted["borough"] == borough) & (counted["themes"] == theme)]
        tally = Counter(found["keyword"] for keywords in in_cell["topic_keywords"] for found in keywords if found["theme"] == theme)
        assert list(row["top_terms"]) == [keyword for keyword, _ in sorted(tally.items(), key=lambda item: (-item[1], item[0]))[:5]]


def test_a_rerun_of_the_day_leaves_the_same_tables(spark, social_lake, delivered):
    before = {name: frame(spark, social_lake, name) for name in ("silver.social_posts", "gold.public_opinion_daily")}
    files, _ = delivered
    from jobs.social import job

    pipeline_runs.land_and_run(spark, social_lake, job.SOURCE, "social_posts_daily", DAY.isoformat(), files, "social-run-2")
    for name, rows in before.items():
        again = frame(spark, social_lake, name)
        key = ["platform", "post_id"] if name.startswith("silver") else ["day", "borough", "theme"]
        pd.testing.assert_frame_equal(
            again.sort_values(key).reset_index(drop=True).astype(str), rows.sort_values(key).reset_index(drop=True).astype(str)
        )


def test_city_issue_priority_ranks_the_days_opinion_beside_311_through_its_gate(spark, social_lake):
    """The product job on the lake: 311's daily gold (a crafted table here) and the day's posts."""
    from jobs import lake, products
    from jobs.audit import RunContext
    from jobs.city_priority import job as priority
    from jobs.declarations import registry

    silver = frame(spark, social_lake, "silver.social_posts")
    counted = silver[silver["counts_in_opinion"] & silver["borough"].isin(["Manhattan", "Brooklyn", "Queens", "Bronx", "Staten Island"])]
    cells = counted.explode("themes").dropna(subset=["themes"]).groupby(["borough", "themes"])["author_id"].nunique()
    requests = spark.createDataFrame(
        [(DAY, borough, theme, 3 + index, 1, None, 0) for index, (borough, theme) in enumerate(cells.index)],
        "day date, borough string, theme string, requests_opened bigint, requests_closed bigint, median_hours_to_close double, still_open_end_of_day bigint",
    )
    lake.replace_where(requests, social_lake, "gold", "service_requests_daily", "true")
    product = registry().products["city_issue_priority"]
    products.run(spark, social_lake, RunContext("priority-run", product.dag_id, "rebuild", DAY.isoformat()), product, priority.build, pipeline_runs.EXPECTATIONS)

    ranked = frame(spark, social_lake, "gold.city_issue_priority").set_index(["borough", "theme"])
    assert set(ranked.index) == set(cells.index)
    assert (ranked["opinion_suppressed"] == (cells.loc[ranked.index] < 5)).all()
    assert (ranked.loc[ranked["opinion_suppressed"], "share_negative"].isna()).all()
    assert sorted(ranked["priority_rank"]) == sorted(ranked["priority_score"].rank(method="min", ascending=False).astype(int))
    published = frame(spark, social_lake, "audit.publications")
    assert "gold.city_issue_priority" in set(published["table_name"])


def test_a_post_without_author_is_quarantined_by_a_row_rule_not_stopped_by_the_silver_gate(spark):
    """Silver's suite needs every post's author (distinct authors, bots): a row rule removes one first."""
    from jobs.social import transforms

    bronze = spark.createDataFrame(
        [
            ("1", "delays again", "2024-03-02T15:00:00.000Z", "9", "en", None),
            ("2", "delays again", "2024-03-02T15:00:00.000Z", None, "en", None),
            ("3", "delays again", "2024-03-02T15:00:00.000Z", " ", "en", None),
        ],
        "id string, text string, created_at string, author_id string, lang string, _corrupt_record string",
    ).selectExpr("*", "'posts.jsonl' AS _source_file", "'batch' AS _batch_id", "TIMESTAMP'2024-03-03 06:00:00' AS _ingested_at", "DATE'2024-03-02' AS _logical_date")
    published, quarantined = transforms.split_by_row_rules(transforms.typed_posts(bronze, ("id", "text", "created_at", "author_id", "lang")))
    assert [row.post_id for row in published.collect()] == ["1"]
    assert sorted((row.post_id, row.rule_id) for row in quarantined.collect()) == [("2", "author_missing"), ("3", "author_missing")]


def test_masks_take_e_mail_addresses_handles_and_phone_numbers_of_any_script(spark):
    from pyspark.sql import functions as F

    from jobs.social.transforms import masked

    texts = [
        "write to anna@müller-bau.de or j.doe@mail_box.com cc @NYCT_Subway",
        "请拨打718-555-0142联系我，或者13812345678",
        "call (212) 555 0123 or +1 646.555.0199 about bus M15",
        # A name is taken from where its run of characters starts, also right after an address just masked (the
        # "@c" left is then a handle); a number inside a longer run of digits is no phone number.
        "mail x.y@z.com@c.de now, ticket 99912125550123",
    ]
    got = [row.text for row in spark.createDataFrame([(text,) for text in texts], "text string").select(masked(F.col("text")).alias("text")).collect()]
    assert got == [
        "write to [email] or [email] cc @user",
        "请拨打[phone]联系我，或者[phone]",
        "call [phone] or [phone] about bus M15",
        "mail [email]@user.de now, ticket 99912125550123",
    ]


def test_a_line_of_two_objects_is_quarantined_whole_not_half_read(spark, tmp_path):
    """A writer that lost a newline: landing counts one line, so bronze must hold it as one broken row.
    The file starts with a byte-order mark, which is no part of the first post (Hadoop's line reader drops it)."""
    from jobs import pipeline
    from jobs.landing import land_file, manifest_entries
    from tests.conftest import make_settings

    settings = make_settings(tmp_path)
    inbox = tmp_path / "inbox" / "social_posts" / DAY.isoformat()
    inbox.mkdir(parents=True)
    post = '{"id": "%s", "text": "delays", "created_at": "2024-03-02T15:00:00.000Z", "author_id": "9"}'
    (inbox / "posts.jsonl").write_text("\ufeff" + post % 1 + "\n" + post % 2 + post % 3 + "\n" + post % 4 + "\n", encoding="utf-8")
    land_file(settings, "social_posts", DAY.isoformat(), inbox / "posts.jsonl", columns.REQUIRED_COLUMNS)
    (entry,) = manifest_entries(settings, "social_posts", DAY.isoformat())
    rows = pipeline.read_delivery(spark, entry).collect()
    assert entry.rows == len(rows) == 3
    assert [row["id"] for row in rows] == ["1", None, "4"]
    assert rows[1]["_corrupt_record"] == post % 2 + post % 3


def test_nested_fields_of_either_shape_are_read_as_delivered_and_odd_ones_read_as_text_or_null(spark, tmp_path):
    """Typing parses each nested object once: a number keeps its JSON text, a field of an unexpected type
    is read as text, an object that is not one reads as NULL, and neither nulls its neighbours."""
    import json

    from jobs import pipeline
    from jobs.landing import land_file, manifest_entries
    from jobs.social import transforms
    from tests.conftest import make_settings

    twarc2 = {"text": "x", "created_at": "2024-03-02T15:00:00.000Z", "lang": "en", "author_id": "9"}
    weibo = {"text": "垃圾", "created_at": "Sat Mar 02 10:15:00 +0800 2024"}
    posts = [
        {**twarc2, "id": "1", "author": {"username": "bob", "location": "Queens, NY", "public_metrics": {"tweet_count": 12}},
         "geo": {"coordinates": {"type": "Point", "coordinates": [-73.9, 40.7]}, "full_name": "Queens, NY", "geo": {"bbox": [-74.0, 40.6, -73.8, 40.8]}},
         "public_metrics": {"retweet_count": 3, "like_count": "7"}},
        {**twarc2, "id": "2", "author": "not an object", "geo": {"full_name": 5, "geo": {"bbox": ["west", 1]}}, "public_metrics": "7"},
        {**twarc2, "id": "3", "author": {"username": ["a"], "public_metrics": 5}, "public_metrics": {"retweet_count": 1.5, "like_count": 2}},
        {**weibo, "mid": "44", "user": {"id": 12345678901234567890, "screen_name": "w", "statuses_count": 3},
         "geo": {"type": "Point", "coordinates": [40.76, -73.83]}, "retweeted_status": {"idstr": "55", "user": {"id": 1}}},
        {**weibo, "mid": "45", "user": {"idstr": "77", "id": 77}, "geo": None, "retweeted_status": {"mid": 56}},
    ]
    settings = make_settings(tmp_path)
    inbox = tmp_path / "inbox" / "social_posts" / DAY.isoformat()
    inbox.mkdir(parents=True)
    (inbox / "posts.jsonl").write_text("".join(json.dumps(post, ensure_ascii=False) + "\n" for post in posts), encoding="utf-8")
    land_file(settings, "social_posts", DAY.isoformat(), inbox / "posts.jsonl", columns.REQUIRED_COLUMNS)
    (entry,) = manifest_entries(settings, "social_posts", DAY.isoformat())
    bronze = pipeline.read_delivery(spark, entry).selectExpr(
        "*", "'posts.jsonl' AS _source_file", "'batch' AS _batch_id", "TIMESTAMP'2024-03-03 06:00:00' AS _ingested_at", "DATE'2024-03-02' AS _logical_date"
    )
    read = [
        "post_id", "author_id", "author_handle", "_profile_location", "_author_posts", "_longitude", "_latitude",
        "_place_name", "_place_longitude", "reposted_post_id", "repost_count", "like_count",
    ]
    got = {row.post_id: row.asDict() for row in transforms.typed_posts(bronze, entry.columns).select(*read).collect()}
    assert got["1"] == dict(zip(read, ["1", "9", "bob", "Queens, NY", 12, -73.9, 40.7, "Queens, NY", -73.9, None, 3, 7]))
    assert got["2"] == dict(zip(read, ["2", "9", None, None, None, None, None, "5", None, None, None, None]))
    assert got["3"] == dict(zip(read, ["3", "9", '["a"]', None, None, None, None, None, None, None, None, 2]))
    assert got["44"] == dict(zip(read, ["44", "12345678901234567890", "w", None, 3, -73.83, 40.76, None, None, "55", None, None]))
    assert got["45"] == dict(zip(read, ["45", "77", None, None, None, None, None, None, None, "56", None, None]))


def test_a_later_collection_of_a_post_wins_whatever_order_the_days_run_in(spark, tmp_path):
    """A re-collection (new counts) delivered with a later day, run before the original day's rerun: silver keeps it."""
    from jobs.social import job
    from tests.conftest import make_settings, point_catalog_at

    settings = make_settings(tmp_path)
    point_catalog_at(spark, settings)
    posts = [record for record, label in social.labelled_posts(3, 60) if label.kind == "original"][:8]

    def delivery(name: str, retrieved_at: str, likes: int):
        path = tmp_path / name
        lines = [{**post, "public_metrics": {**post["public_metrics"], "like_count": likes}, "__twarc": {**post["__twarc"], "retrieved_at": retrieved_at}} for post in posts]
        path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
        return path

    later = delivery("recollected.jsonl", "2024-03-05T07:00:00+00:00", 9)
    first = delivery("collected.jsonl", "2024-03-03T07:00:00+00:00", 1)
    pipeline_runs.land_and_run(spark, settings, job.SOURCE, "social_posts_daily", "2024-03-04", [later], "recollection")
    pipeline_runs.land_and_run(spark, settings, job.SOURCE, "social_posts_daily", DAY.isoformat(), [first], "original-day")
    silver = frame(spark, settings, "silver.social_posts")
    assert len(silver) == len(posts) and set(silver["like_count"]) == {9}
