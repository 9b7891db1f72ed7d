"""City issue priority as a pure transform, on a small crafted fixture whose figures are worked out by hand."""

from __future__ import annotations

from datetime import date

import pytest

from jobs.city_priority.transforms import city_issue_priority

W0, W1 = date(2022, 5, 2), date(2022, 5, 9)  # Mondays


def posts_of(week: date, borough: str, theme: str, negative: int, total: int, author: str, counts: bool = True) -> list[tuple]:
    return [(week, borough, f"{author}{index}", "negative" if index < negative else "positive", [theme], counts) for index in range(total)]


@pytest.fixture(scope="module")
def priority(spark):
    requests = spark.createDataFrame(
        [
            (W0, "Brooklyn", "transport", 6), (date(2022, 5, 4), "Brooklyn", "transport", 4), (W0, "Queens", "noise", 5),
            (W1, "Brooklyn", "transport", 15), (W1, "Queens", "noise", 2), (date(2022, 5, 15), "Manhattan", "waste and sanitation", 20),
            (W1, "Unspecified", "transport", 99),  # no borough: left out
        ],
        "day date, borough string, theme string, requests_opened bigint",
    )
    posts = spark.createDataFrame(
        posts_of(W0, "Brooklyn", "transport", 2, 5, "a")  # 5 authors: published, 40 % negative
        + posts_of(W1, "Brooklyn", "transport", 5, 8, "b")  # 62.5 % negative
        + posts_of(W1, "Brooklyn", "transport", 3, 3, "bot", counts=False)  # not opinions: left out
        + posts_of(W1, "Queens", "noise", 3, 3, "c")  # 3 authors < k = 5: suppressed
        + posts_of(W1, "unknown", "transport", 9, 9, "d")  # placed nowhere: left out
        # 8 authors in the week, but 2 of them on a day of their own: the day is suppressed in daily gold,
        # so the week is too (the week minus its published days would give the day away).
        + posts_of(W1, "Bronx", "noise", 3, 6, "e")
        + posts_of(date(2022, 5, 10), "Bronx", "noise", 1, 2, "f"),
        "created_date date, borough string, author_id string, sentiment string, themes array<string>, counts_in_opinion boolean",
    )
    rows = city_issue_priority(requests, posts, k=5).collect()
    return {(row.week, row.borough, row.theme): row.asDict() for row in rows}


def test_every_week_borough_and_theme_with_requests_or_opinion_gets_a_row(priority):
    assert sorted(priority) == sorted(
        [
            (W0, "Brooklyn", "transport"), (W0, "Queens", "noise"), (W1, "Brooklyn", "transport"), (W1, "Queens", "noise"),
            (W1, "Manhattan", "waste and sanitation"), (W1, "Bronx", "noise"),
        ]
    )


def test_the_score_is_its_parts_weighted_and_ranked_within_the_week(priority):
    brooklyn = priority[(W1, "Brooklyn", "transport")]
    assert {name: brooklyn[name] for name in ("requests", "requests_week_before", "requests_change", "opinion_posts", "opinion_authors")} == {
        "requests": 15, "requests_week_before": 10, "requests_change": 0.5, "opinion_posts": 8, "opinion_authors": 8,
    }
    assert (brooklyn["share_negative"], brooklyn["share_negative_week_before"], brooklyn["share_negative_change"]) == (0.625, 0.4, 0.225)
    # 15 of the week's largest 20; growth 0.5; 62.5 % negative; 22.5 points more negative than the week before.
    assert (brooklyn["request_volume_part"], brooklyn["request_growth_part"], brooklyn["negativity_part"], brooklyn["negativity_growth_part"]) == (0.75, 0.5, 0.625, 0.225)
    assert brooklyn["priority_score"] == pytest.approx(0.4 * 0.75 + 0.1 * 0.5 + 0.4 * 0.625 + 0.1 * 0.225) == 0.6225
    manhattan = priority[(W1, "Manhattan", "waste and sanitation")]
    assert (manhattan["requests_change"], manhattan["opinion_suppressed"], manhattan["share_negative"], manhattan["priority_score"]) == (None, False, None, 0.4)
    ranks = {key[1]: row["priority_rank"] for key, row in priority.items() if key[0] == W1}
    assert ranks == {"Brooklyn": 1, "Manhattan": 2, "Queens": 3, "Bronx": 4}
    first_week = priority[(W0, "Brooklyn", "transport")]
    assert (first_week["share_negative"], first_week["priority_score"], first_week["priority_rank"]) == (0.4, 0.56, 1)


def test_a_week_with_fewer_than_k_authors_publishes_no_opinion(priority):
    queens = priority[(W1, "Queens", "noise")]
    assert queens["opinion_suppressed"] is True
    assert (queens["opinion_posts"], queens["opinion_authors"], queens["share_negative"], queens["negativity_part"]) == (None, None, None, 0.0)
    assert (queens["requests"], queens["requests_change"], queens["priority_score"]) == (2, -0.6, 0.04)


def test_a_week_with_a_day_of_fewer_than_k_authors_publishes_no_opinion(priority):
    bronx = priority[(W1, "Bronx", "noise")]
    assert (bronx["opinion_suppressed"], bronx["opinion_posts"], bronx["share_negative"], bronx["priority_score"]) == (True, None, None, 0.0)
