"""Social posts without Spark: the synthetic deliveries in both shapes, the gazetteer and the topic taxonomy."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections import Counter
from datetime import date, datetime
from functools import lru_cache
from importlib import resources

import pytest

from jobs.social import columns
from jobs.social.gazetteer import BOROUGHS, borough_of_place, entries, normalise
from jobs.synthetic import social
from jobs.themes import THEMES

DAY = date(2024, 3, 2)
# The city's bounding box (the five boroughs' extent).
NYC_LATITUDES, NYC_LONGITUDES = (40.4774, 40.9176), (-74.2591, -73.7004)
CITY_THEMES = ("transport", "waste and sanitation", "public safety", "noise")
# A few very common real names: none may appear in generated people (a sanity check, not a proof).
COMMON_REAL_NAMES = (
    "John", "Mary", "Michael", "David", "James", "Robert", "Jennifer", "Linda", "Maria", "Sarah", "Jose", "Emily",
    "Smith", "Johnson", "Williams", "Brown", "Garcia", "Rodriguez", "Lee", "Chen", "Wang", "Kim", "Nguyen",
)
COMMON_CHINESE_NAMES = ("张伟", "王伟", "王芳", "李伟", "李娜", "刘洋", "张敏", "王静")


@pytest.fixture(scope="module")
def days_lines():
    """A day of each shape with defects, generated once for the module."""
    return {shape: social.generate_day(DAY, 800, seed=7, defect_share=0.05, shape=shape) for shape in social.SHAPES}


def parse_time(value: str, shape: str) -> datetime:
    return datetime.strptime(value, columns.TWARC2_TIME_FORMAT if shape == "twarc2" else columns.WEIBO_TIME_FORMAT)


def defect_of(line: str, shape: str) -> str | None:
    """What is wrong with a delivered line, found from the line alone."""
    if not line.strip():
        return "empty_line"
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return "truncated_json"
    if isinstance(record, list):
        return "json_array"
    if ("id" if shape == "twarc2" else "mid") not in record:
        return "id_missing"
    if "created_at" not in record:
        return "created_at_missing"
    try:
        parse_time(record["created_at"], shape)
    except ValueError:
        return "created_at_unknown_format"
    if shape == "twarc2" and record["lang"] not in ("en", *columns.TWITTER_NO_LANGUAGE_CODES):
        return "lang_unknown"
    if record["text"] == "":
        return "text_empty"
    return None


def topic_rules() -> list[dict]:
    text = resources.files("jobs.reference").joinpath("social_topics.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@lru_cache(maxsize=1)
def keyword_patterns() -> tuple[tuple[str, re.Pattern], ...]:
    """(theme, pattern) per taxonomy row, matching as jobs/social/__init__.py documents."""
    patterns = []
    for rule in topic_rules():
        keyword = normalise(rule["keyword"].rstrip("*"))
        if keyword.isascii():  # whole words; a trailing * also matches longer words
            tail = r"[0-9a-z]*" if rule["keyword"].endswith("*") else ""
            patterns.append((rule["theme"], re.compile(rf"(?<![0-9a-z]){re.escape(keyword)}{tail}(?![0-9a-z])")))
        else:  # Chinese: anywhere
            patterns.append((rule["theme"], re.compile(re.escape(keyword))))
    return tuple(patterns)


def themes_by_keywords(text: str) -> tuple[str, ...]:
    """The taxonomy's themes of a post's text (X escapes HTML in text: unescaped first)."""
    normalised = normalise(html.unescape(text))
    found = {theme for theme, pattern in keyword_patterns() if pattern.search(normalised)}
    return tuple(theme for theme in THEMES if theme in found)


def coordinates_of(record: dict, shape: str) -> tuple[float, float] | None:
    """(latitude, longitude) of a post, whichever order its shape writes them in."""
    geo = record.get("geo")
    if not geo or "coordinates" not in geo:
        return None
    if shape == "twarc2":
        longitude, latitude = geo["coordinates"]["coordinates"]
    else:
        latitude, longitude = geo["coordinates"]
    return latitude, longitude


# ------------------------------------------------------------------------------------------ deliveries


def test_same_seed_same_bytes_one_file_a_day_and_a_redelivery(tmp_path):
    for shape in social.SHAPES:
        first = social.write_range(tmp_path / "a" / shape, DAY, date(2024, 3, 5), 120, seed=3, shape=shape)
        again = social.write_range(tmp_path / "b" / shape, DAY, date(2024, 3, 5), 120, seed=3, shape=shape)
        other = social.write_range(tmp_path / "c" / shape, DAY, date(2024, 3, 5), 120, seed=4, shape=shape)
        assert [path.read_bytes() for path in first] == [path.read_bytes() for path in again]
        assert [path.read_bytes() for path in first] != [path.read_bytes() for path in other]
        assert [path.relative_to(tmp_path / "a" / shape).parts[:2] for path in first] == [
            ("social_posts", "2024-03-02"), ("social_posts", "2024-03-03"), ("social_posts", "2024-03-04"),
            ("social_posts", "2024-03-05"), ("social_posts", "2024-03-05"),
        ]
        assert first[0].name == social.FILE_NAMES[shape].format(day="2024-03-02") and first[0].suffix == ".jsonl"
        # Every fourth day also re-sends the day before's file.
        assert first[-1].name == f"redelivered_{first[-3].name}" and first[-1].read_bytes() == first[-3].read_bytes()
        assert len(first[0].read_text(encoding="utf-8").splitlines()) == 120
        # Nothing but the deliveries in the inbox: no labels, no half-written files.
        assert sorted(path.name for path in (tmp_path / "a" / shape).rglob("*") if path.is_file()) == sorted(path.name for path in first)


def test_twarc2_is_ascii_escaped_and_weibo_is_utf8(tmp_path):
    twarc2 = social.write_day(tmp_path, DAY, 200, seed=1, defect_share=0.0, shape="twarc2")
    weibo = social.write_day(tmp_path, DAY, 200, seed=1, defect_share=0.0, shape="weibo")
    assert twarc2.read_bytes().isascii()
    assert "地铁" in weibo.read_text(encoding="utf-8")


@pytest.mark.parametrize("shape", social.SHAPES)
def test_every_line_parses_except_the_intended_defects_counted_by_kind(days_lines, shape):
    lines = days_lines[shape]
    found = Counter(defect_of(line.text, shape) for line in lines)
    intended = Counter(line.defect for line in lines)
    assert found == intended
    assert set(intended) - {None} == set(social.DEFECTS[shape])
    assert sum(count for kind, count in intended.items() if kind) == round(800 * 0.05)
    start, end = social._city_day(DAY)
    for line in lines:
        if line.defect is None:
            record = json.loads(line.text)
            assert columns.shape_of(record) == shape
            assert start <= parse_time(record["created_at"], shape) < end  # the city's day
            assert all(record.get(field) for field in (columns.TWARC2_REQUIRED if shape == "twarc2" else columns.WEIBO_REQUIRED))
            assert set(record) <= set(columns.TWARC2_FIELDS if shape == "twarc2" else columns.WEIBO_FIELDS)
        elif line.defect in ("id_missing", "created_at_missing", "created_at_unknown_format", "lang_unknown", "text_empty"):
            assert columns.shape_of(json.loads(line.text)) == shape  # still recognisable


def test_twarc2_is_flattened_as_twarc2_writes_it(days_lines):
    records = [json.loads(line.text) for line in days_lines["twarc2"] if line.defect is None]
    for record in records:
        assert record["author"]["id"] == record["author_id"]
        assert set(record["__twarc"]) == {"url", "version", "retrieved_at"}
        assert record["__twarc"]["url"].startswith("https://api.twitter.com/2/tweets/search/all?")
        for referenced in record.get("referenced_tweets", []):
            assert referenced["type"] in ("retweeted", "quoted", "replied_to")
            assert "__twarc" not in referenced and referenced["author"]["id"] == referenced["author_id"]
        if "geo" in record:  # the place merged into geo itself, as twarc.expansions.flatten does
            assert {"place_id", "full_name", "place_type", "country_code"} <= set(record["geo"]) and "place" not in record["geo"]
        for mention in record.get("entities", {}).get("mentions", []):
            assert record["text"][mention["start"]:mention["end"]] == f"@{mention['username']}"
    retweets = [record for record in records if record["text"].startswith("RT @")]
    assert retweets and all(record["referenced_tweets"][0]["type"] == "retweeted" for record in retweets)
    assert any("&amp;" in record["text"] for record in records)  # the API escapes HTML in text


def test_shape_of_tells_the_shapes_apart():
    assert columns.shape_of({"id": "1", "text": "hi", "author_id": "2"}) == "twarc2"
    assert columns.shape_of({"text": "hi", "created_at": "x", "__twarc": {}}) == "twarc2"
    assert columns.shape_of({"mid": "1", "text": "你好", "user": {"id": 1}}) == "weibo"
    assert columns.shape_of({"text": "", "reposts_count": 0}) == "weibo"
    assert columns.shape_of([{"id": "1", "author_id": "2"}]) is None
    assert columns.shape_of({"id": "1", "text": "hi"}) is None
    assert columns.shape_of({"author_id": "2", "mid": "1"}) is None
    assert columns.shape_of("text") is None


# ------------------------------------------------------------------------------------------ labels


@pytest.mark.parametrize("shape", social.SHAPES)
def test_labels_follow_the_construction_rules(shape):
    posts = social.labelled_posts(seed=11, rows=1200, shape=shape)
    assert len(posts) == 1200
    by_id = {label.post_id: label for _, label in posts}
    kinds = Counter(label.kind for _, label in posts)
    assert {"original", "retweet", "near_duplicate", "exact_duplicate", "bot"} <= set(kinds)
    assert Counter(label.sentiment for _, label in posts).keys() == {"negative", "neutral", "positive"}
    for record, label in posts:
        text = record["text"]
        if label.kind == "retweet":
            assert label.is_retweet and (text.startswith("RT @") if shape == "twarc2" else "retweeted_status" in record)
        if label.kind == "exact_duplicate":
            assert label.duplicate_of == label.post_id and label.is_duplicate
        if label.kind == "near_duplicate":
            assert label.is_duplicate and label.duplicate_of in by_id and label.duplicate_of != label.post_id
        if "thanks MTA" in text or "谢谢MTA" in text:
            assert label.sentiment == "negative"  # a polite complaint is a complaint
        # Each kind of personal data the label names is in the text (a retweet cut at 140 may keep only some).
        assert ("email" in label.personal_data_in_text) == bool(re.search(r"\w+@example\.(org|net|com)", text))
        assert ("phone" in label.personal_data_in_text) == bool(re.search(r"\(\d{3}\) 555-01\d\d", text))
        if "handle" in label.personal_data_in_text:
            assert re.search(r"(?<![\w.])@\w+", text)  # a handle, not an e-mail address
    # Exact duplicates are the same line twice, with the same id.
    ids = Counter(label.post_id for _, label in posts)
    assert sum(count - 1 for count in ids.values()) == kinds["exact_duplicate"]
    # Bots: one account, many near-identical posts a day, flagged from the second on.
    bot_posts = [(record, label) for record, label in posts if label.is_bot]
    authors = Counter((record["author"]["username"] if shape == "twarc2" else record["user"]["screen_name"]) for record, _ in bot_posts)
    assert max(authors.values()) >= 15
    assert any(re.fullmatch(r"[a-z]+_bot_\d{3}", handle) for handle in authors)
    assert sum(not label.is_duplicate for _, label in bot_posts) == len(authors)


@pytest.mark.parametrize("shape", social.SHAPES)
def test_the_taxonomy_finds_exactly_the_themes_the_generator_wrote(shape):
    posts = social.labelled_posts(seed=5, rows=1500, shape=shape)
    own_text = [(record, label) for record, label in posts if not label.is_retweet]  # a retweet has its original's themes, a text cut at 140
    mismatches = [(record["text"], label.themes) for record, label in own_text if themes_by_keywords(record["text"]) != label.themes]
    assert mismatches == []
    assert any(not label.themes for _, label in own_text) and any(len(label.themes) == 2 for _, label in own_text)


@pytest.mark.parametrize("shape", social.SHAPES)
def test_locations_are_sparse_inside_the_city_and_resolve_with_the_gazetteer(shape):
    posts = social.labelled_posts(seed=9, rows=3000, shape=shape)
    originals = [(record, label) for record, label in posts if label.kind == "original"]
    sources = Counter(label.location_source for _, label in originals)
    assert 0.02 <= sources["coordinates"] / len(originals) <= 0.05
    for record, label in posts:
        for embedded in [record, *record.get("referenced_tweets", []), *([record["retweeted_status"]] if record.get("retweeted_status") else [])]:
            point = coordinates_of(embedded, shape)
            if point:
                latitude, longitude = point
                assert NYC_LATITUDES[0] <= latitude <= NYC_LATITUDES[1] and NYC_LONGITUDES[0] <= longitude <= NYC_LONGITUDES[1]
        if label.location_source == "coordinates":
            assert coordinates_of(record, shape) and label.borough in BOROUGHS
    if shape == "twarc2":
        placed = [record for record, _ in originals if "geo" in record]
        assert 0.15 <= len(placed) / len(originals) <= 0.25
        located_authors = {record["author"]["id"]: "location" in record["author"] for record, _ in posts}
        assert 0.30 <= sum(located_authors.values()) / len(located_authors) <= 0.50
        for record, label in originals:
            if label.location_source == "place" and record["geo"]["place_type"] != "poi":
                assert borough_of_place(record["geo"]["full_name"]) == label.borough
            if label.location_source == "profile":
                assert borough_of_place(record["author"]["location"]) == label.borough
            if "location" in record["author"] and label.location_source is None:
                assert borough_of_place(record["author"]["location"]) is None
    else:
        assert 0.12 <= sources["text"] / len(originals) <= 0.22
        for record, label in originals:
            if label.location_source == "text":
                assert borough_of_place(record["text"]) == label.borough
            assert borough_of_place(record["user"]["location"]) is None  # Weibo's "海外 美国" names no borough


def test_people_are_synthetic():
    names = set()
    for shape in social.SHAPES:
        for record, _ in social.labelled_posts(seed=13, rows=1500, shape=shape):
            users = [record.get("author") or record.get("user"), record.get("in_reply_to_user"), *record.get("entities", {}).get("mentions", [])]
            for user in filter(None, users):
                names.update(str(user.get(field, "")) for field in ("name", "username", "screen_name"))
    assert len(names) > 300
    words = {word.lower() for name in names for word in re.split(r"[\W_\d]+", name) if word}
    assert not words & {name.lower() for name in COMMON_REAL_NAMES}
    assert not [name for name in names if any(common in name for common in COMMON_CHINESE_NAMES)]


# ------------------------------------------------------------------------------------------ gazetteer


@pytest.mark.parametrize(
    "place, borough",
    [
        ("Brooklyn", "Brooklyn"), ("BROOKLYN, NY 11211, USA", "Brooklyn"), ("bk", "Brooklyn"), ("Bklyn", "Brooklyn"),
        ("the bronx", "Bronx"), ("Boogie Down Bronx", "Bronx"), ("SI", "Staten Island"), ("S.I., N.Y.", "Staten Island"),
        ("Staten Is", "Staten Island"), ("manhattan ny", "Manhattan"), ("Manhattan, New York, NY", "Manhattan"),
        ("Astoria, Queens", "Queens"), ("Williamsburg, Brooklyn", "Brooklyn"), ("Hells Kitchen", "Manhattan"),
        ("Hell’s Kitchen", "Manhattan"), ("bed-stuy", "Brooklyn"), ("Bedford Stuyvesant", "Brooklyn"),
        ("Manhattan Beach", "Brooklyn"), ("East New York, NY", "Brooklyn"), ("Long Island City", "Queens"),
        ("Co-op City", "Bronx"), ("St George, Staten Island", "Staten Island"), ("Flushing Meadows", "Queens"),
        ("Café in SoHo", "Manhattan"), ("Ｂｒｏｏｋｌｙｎ", "Brooklyn"), ("曼哈顿", "Manhattan"), ("布鲁克林", "Brooklyn"),
        ("皇后区", "Queens"), ("布朗克斯", "Bronx"), ("史泰登岛", "Staten Island"), ("美国纽约法拉盛", "Queens"),
        ("住在Brooklyn", "Brooklyn"),
    ],
)
def test_the_gazetteer_resolves_boroughs_neighbourhoods_spellings_and_chinese_names(place, borough):
    assert borough_of_place(place) == borough


@pytest.mark.parametrize(
    "place",
    ["NYC", "New York", "New York, NY", "new york city", "NY, NY 10001", "纽约", "美国纽约", "Long Island", "Jersey City, NJ",
     "Williamsburg, VA", "Astoria, OR 97103", "Bklnx Bridge Park fan club", "bking", "", None, "海外 美国"],
)
def test_the_gazetteer_says_none_for_the_whole_city_elsewhere_and_nothing(place):
    assert borough_of_place(place) is None


def test_the_gazetteer_file_is_valid_and_complete():
    rows = entries()
    assert {entry.borough for entry in rows} == set(BOROUGHS)
    assert {entry.name for entry in rows if entry.kind == "borough"} == set(BOROUGHS)
    assert sum(entry.kind == "neighbourhood" for entry in rows) >= 80
    assert all(borough_of_place(entry.name) == entry.borough for entry in rows)
    assert [len(entry.key) for entry in rows] == sorted((len(entry.key) for entry in rows), reverse=True)


# ------------------------------------------------------------------------------------------ taxonomy


def test_the_taxonomy_covers_the_city_themes_in_both_languages():
    rules = topic_rules()
    assert list(rules[0]) == ["version", "theme", "language", "keyword"]
    assert len({rule["version"] for rule in rules}) == 1
    assert {rule["theme"] for rule in rules} <= set(THEMES)
    assert {rule["language"] for rule in rules} == {"en", "zh"}
    per_theme = Counter((rule["theme"], rule["language"]) for rule in rules)
    for theme in CITY_THEMES:
        assert per_theme[(theme, "en")] >= 15 and per_theme[(theme, "zh")] >= 8, theme
    keys = [(rule["theme"], normalise(rule["keyword"])) for rule in rules]
    assert len(keys) == len(set(keys)), "a keyword twice under one theme"
    assert all(rule["keyword"] == rule["keyword"].strip() and rule["keyword"] for rule in rules)
