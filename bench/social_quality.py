"""How well the social features agree with a labelled set: sentiment step by step, topics, places.

    .venv/bin/python bench/social_quality.py [--posts 3000]

The labelled set: posts of the generator (``jobs/synthetic/social.py``, English X posts and Chinese Weibo
statuses) labelled by its construction rules, not by people: each text is built from a template written
with a sentiment and themes (polite and sarcastic complaints labelled negative), and each post is placed
where the generator put it. Bots are left out (they are not opinions). The thresholds were calibrated on
another seed's posts (``CALIBRATION_SEED``); the figures here are on ``EVALUATION_SEED``'s. The lexicon was
written by reading the generator's templates too, so these are figures on text like the training text:
a human-labelled sample of real posts is what would tell how far they carry (see README, "Social posts").

Steps, each measured: stock VADER with its usual thresholds (±0.05); VADER with the city-services lexicon;
the lexicon with calibrated thresholds (what silver uses); and always answering "negative" for scale.
No Spark: the functions the Spark job runs per post.
"""

from __future__ import annotations

import argparse
import html
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jobs.social.gazetteer import borough_of_place  # noqa: E402
from jobs.social.sentiment import Scorer, classify  # noqa: E402
from jobs.social.topics import topics_of  # noqa: E402
from jobs.synthetic import social  # noqa: E402

CALIBRATION_SEED, EVALUATION_SEED = 21, 22
LANGUAGE = {"twarc2": "en", "weibo": "zh"}
TARGET_ENGLISH = 0.70


def stock_class(score: float) -> str:
    return "negative" if score <= -0.05 else "positive" if score >= 0.05 else "neutral"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=3000, help="posts per shape")
    args = parser.parse_args()
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    stock, scorer = SentimentIntensityAnalyzer(), Scorer()
    print(f"labelled set: {args.posts:,} generated posts per language (seed {EVALUATION_SEED}), bots left out")
    print(f"{'sentiment, three classes: agreement with the labels':<58}{'en':>8}{'zh':>8}")
    rows: dict[str, dict[str, float]] = {}
    topic_counts, place_counts = Counter(), Counter()
    for shape, language in LANGUAGE.items():
        posts = [(record, label) for record, label in social.labelled_posts(EVALUATION_SEED, args.posts, shape=shape) if not label.is_bot]
        texts = [html.unescape(record["text"]) for record, _ in posts]
        labels = [label.sentiment for _, label in posts]

        def agreement(predicted: list[str]) -> float:
            return sum(p == t for p, t in zip(predicted, labels)) / len(labels)

        city_scores = [scorer.score(text, language) for text in texts]
        rows.setdefault("always 'negative'", {})[language] = agreement(["negative"] * len(labels))
        if language == "en":
            rows.setdefault("stock VADER, thresholds ±0.05", {})[language] = agreement([stock_class(stock.polarity_scores(text)["compound"]) for text in texts])
        rows.setdefault("with the city-services lexicon, thresholds ±0.05", {})[language] = agreement([stock_class(score) for score in city_scores])
        rows.setdefault("with the lexicon and calibrated thresholds (silver)", {})[language] = agreement([classify(score, language) for score in city_scores])
        for text, (_, label) in zip(texts, posts):
            found = set(topics_of(text)[0])
            written = set(label.themes)
            topic_counts["true"] += len(found & written)
            topic_counts["found"] += len(found)
            topic_counts["written"] += len(written)
        for record, label in posts:
            if label.location_source in ("text", "profile"):
                where = record["text"] if label.location_source == "text" else (record.get("author") or record.get("user") or {}).get("location")
                place_counts[borough_of_place(html.unescape(where or "")) == label.borough] += 1
    for name, by_language in rows.items():
        print(f"{name:<58}{by_language.get('en', float('nan')):>8.3f}{by_language.get('zh', float('nan')):>8.3f}")
    print(f"topics (both languages): precision {topic_counts['true'] / topic_counts['found']:.3f}, recall {topic_counts['true'] / topic_counts['written']:.3f}")
    print(f"gazetteer, posts placed by their text or profile: {place_counts[True] / sum(place_counts.values()):.3f} agree ({sum(place_counts.values()):,} posts)")
    english = rows["with the lexicon and calibrated thresholds (silver)"]["en"]
    print(f"target: English agreement at least {TARGET_ENGLISH}: {'met' if english >= TARGET_ENGLISH else 'NOT met'} on this (generated) set")


if __name__ == "__main__":
    main()
