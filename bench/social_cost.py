"""Scoring social posts at scale: posts per second end to end, beside VADER alone on one core.

    .venv/bin/python bench/social_cost.py [--posts 1000000] [--distinct-texts]

Generates a day of ``--posts`` X posts (twarc2 shape, 2 % defects; ``jobs/synthetic/social.py``), then
measures side by side in one run:

1. VADER alone (``vaderSentiment``'s stock analyser), one core, on a sample of the texts: the floor
   any sentiment on these posts costs;
2. the post features alone (``jobs.social.transforms.post_features``: borough, themes, sentiment with the
   city lexicon), one core, same sample;
3. scoring in Spark, end to end on the lake's engine (local[2]): read the JSON Lines, parse both shapes,
   mask, features (the vectorised UDF), near-duplicate and bot flags, write silver's rows to Delta;
4. the whole day's job (``jobs.social.job``, as the DAG runs it: bronze, gates, quarantine, silver MERGE,
   gold, audit, report).

It also times scoring's stages (read; + typing and row rules; + the features UDF) into Spark's ``noop`` sink,
so the differences say where the time goes. The features read each text once per chunk of the UDF, and the
generator's texts repeat more than real posts may (30 % of a chunk's texts distinct): ``--distinct-texts``
measures the other end, every post with a text of its own.

Target (issue #14): at least 10,000 posts per second for 3. Needs `make setup`.
"""

from __future__ import annotations

import argparse
import html
import json
import logging
import os
import secrets
import sys
import time
from datetime import date
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
os.environ.setdefault("CITYLAKE_PSEUDONYM_KEY", secrets.token_hex(32))

from pyspark.sql import functions as F  # noqa: E402

from bench.engine import engine, scratch_lake  # noqa: E402
from jobs import phases, pipeline, pseudonyms  # noqa: E402
from jobs.audit import RunContext  # noqa: E402
from jobs.landing import land_file, manifest_entries  # noqa: E402
from jobs.settings import load_settings  # noqa: E402
from jobs.social import job as social_job  # noqa: E402
from jobs.spark_config import build_session  # noqa: E402
from jobs.synthetic import social as generator  # noqa: E402

DAY = date(2024, 3, 2)
TARGET_POSTS_PER_SECOND = 10_000
SAMPLE = 50_000
ARROW_CHUNK = 10_000  # rows a vectorised UDF gets at once (Spark's spark.sql.execution.arrow.maxRecordsPerBatch)


def chunks_of(texts: list[str]) -> list[list[str]]:
    """``texts`` in the chunks a vectorised UDF gets them in."""
    return [texts[first : first + ARROW_CHUNK] for first in range(0, len(texts), ARROW_CHUNK)]


def made_distinct(path: Path) -> None:
    """Every post's text with a word of its own appended; a line that is no post with a text (the generator's
    defects: broken JSON, an empty text) is left as it is."""
    rewritten = path.with_suffix(".distinct")
    with open(path, encoding="utf-8") as lines, open(rewritten, "w", encoding="utf-8") as out:
        for index, line in enumerate(lines):
            try:
                post = json.loads(line)
            except ValueError:
                post = None
            if isinstance(post, dict) and isinstance(post.get("text"), str) and post["text"].strip():
                post["text"] = f"{post['text']} n{index}"
                line = json.dumps(post, ensure_ascii=False) + "\n"
            out.write(line)
    rewritten.replace(path)


def one_core(texts: list[str]) -> tuple[float, float, float]:
    """Posts per second in this process (one core) of VADER alone, of the post features, and of the post
    features on the same texts made distinct (each with a word of its own): the features read a text once
    per chunk, and the generator's texts repeat more than real posts may (reposts, templates)."""
    import pandas as pd
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from jobs.social.sentiment import Scorer
    from jobs.social.transforms import post_features

    vader = SentimentIntensityAnalyzer()
    started = time.perf_counter()
    for text in texts:
        vader.polarity_scores(text)
    vader_rate = len(texts) / (time.perf_counter() - started)
    scorer = Scorer()
    rates = []
    for chunk_texts in (texts, [f"{text} n{index}" for index, text in enumerate(texts)]):
        started = time.perf_counter()
        for chunk in map(pd.Series, chunks_of(chunk_texts)):
            nothing, blank = pd.Series([float("nan")] * len(chunk)), pd.Series([None] * len(chunk), dtype=object)
            post_features(nothing, nothing, blank, blank, nothing, nothing, chunk, blank, pd.Series(["en"] * len(chunk)), scorer=scorer)
        rates.append(len(chunk_texts) / (time.perf_counter() - started))
    return vader_rate, rates[0], rates[1]


def scoring_stages(source, entry, delivered) -> list[tuple[str, float]]:
    """Seconds to read, then to read and type and split, then also the features UDF, each run alone into
    Spark's ``noop`` sink: the differences say where scoring's time goes. The first read also warms the JVM."""
    from jobs.social.transforms import features_of, masked

    published = source.split(source.typed(delivered, entry.columns))[0]
    features = features_of(masked(F.col("_text")))
    timings = []
    for name, frame in (("warm-up read", delivered), ("read", delivered), ("read+typed+split", published), ("read+typed+split+features", published.select(features))):
        started = time.perf_counter()
        frame.write.format("noop").mode("overwrite").save()
        timings.append((name, time.perf_counter() - started))
    return timings[1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument(
        "--distinct-texts", action="store_true",
        help="give every post a text of its own (a word appended): the features read a text once per chunk, and "
        "the generator's texts repeat more than real posts may, so this is the other end of the range",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with scratch_lake("social") as scratch:
        started = time.perf_counter()
        path = generator.write_day(Path(os.environ["CITYLAKE_INBOX_ROOT"]), DAY, args.posts, 17, 0.02)
        if args.distinct_texts:
            made_distinct(path)
        generated = time.perf_counter() - started
        texts = []
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                try:
                    texts.append(html.unescape(json.loads(line)["text"]))
                except (ValueError, KeyError, TypeError):
                    continue
                if len(texts) == SAMPLE:
                    break
        vader_rate, features_rate, distinct_rate = one_core(texts)
        distinct_share = sum(len(set(chunk)) for chunk in chunks_of(texts)) / len(texts)

        with engine(scratch / "state", memory="6g", CITYLAKE_SHUFFLE_PARTITIONS="8"):
            settings = load_settings()
            land_file(settings, social_job.SOURCE.name, DAY.isoformat(), path, social_job.SOURCE.columns)
            (entry,) = manifest_entries(settings, social_job.SOURCE.name, DAY.isoformat())
            spark = build_session(settings, "citylake-bench-social")
            key = pseudonyms.checked_key(spark, settings, "bench")
            source = social_job.SOURCE
            lineage = {"_source_file": F.lit(entry.file_name), "_batch_id": F.lit("bench"), "_ingested_at": F.current_timestamp(), "_logical_date": F.lit(DAY)}
            delivered = pipeline.read_delivery(spark, entry).withColumns(lineage)
            stages = scoring_stages(source, entry, delivered)
            started = time.perf_counter()
            published, _ = source.split(source.typed(delivered, entry.columns))
            scored = pseudonyms.pseudonymise(source.to_silver(published), source.silver, key)
            scored.write.format("delta").mode("overwrite").save(str(scratch / "scored"))
            scoring = time.perf_counter() - started
            written = spark.read.format("delta").load(str(scratch / "scored")).count()

            phases.reset()
            started = time.perf_counter()
            pipeline.run(spark, settings, RunContext("bench", "social_posts_daily", "bronze_to_gold", DAY.isoformat()), source, PROJECT / "expectations")
            whole_job = time.perf_counter() - started
            spark.stop()

    texts_were = "every text made distinct" if args.distinct_texts else "the generator's texts"
    print(f"{args.posts:,} posts (twarc2 shape, 2 % defects, {texts_were}), generated in {generated:.0f} s; {written:,} scored posts written")
    print(f"{'what':<62}{'posts/s':>12}")
    print(f"{'VADER alone, one core (' + f'{len(texts):,}' + ' texts)':<62}{vader_rate:>12,.0f}")
    print(f"{'post features alone (borough, themes, city sentiment), one core':<62}{features_rate:>12,.0f}   ({distinct_share:.0%} of a chunk's texts distinct)")
    print(f"{'  the same, every text made distinct':<62}{distinct_rate:>12,.0f}")
    print(f"{'scoring in Spark, end to end (parse, mask, features, write), local[2]':<62}{args.posts / scoring:>12,.0f}   ({scoring:.0f} s)")
    print(f"{'the whole day job (bronze, gates, silver, gold, audit, report)':<62}{args.posts / whole_job:>12,.0f}   ({whole_job:.0f} s)")
    print("  scoring's stages, each run from the file up to it (nothing written): " + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in stages))
    timings: dict[str, float] = {}
    for name, seconds in phases.TIMINGS:
        timings[name] = timings.get(name, 0.0) + seconds
    print("  the job's phases: " + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in timings.items()))
    verdict = "met" if args.posts / scoring >= TARGET_POSTS_PER_SECOND else "NOT met"
    print(f"target: scoring at least {TARGET_POSTS_PER_SECOND:,} posts/s: {verdict}")


if __name__ == "__main__":
    main()
