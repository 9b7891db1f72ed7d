"""Consent honoured (jobs/consent.py, the consent registry source in jobs/consent_registry/), on the lake's real
subjects: a social author and an account holder who withdraw consent leave the next run's silver and gold.

Row rules on the engine; then on Delta: a day of payments, KYC and social posts, a consent delivery for the
next day (two withdrawals, a grant, a withdrawal effective later, and defects), the next day's runs of both
sources and the account risk product.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date

import pytest

from jobs.consent_registry import columns as raw
from jobs.consent_registry import transforms
from jobs.synthetic import csv_text
from jobs.synthetic import payments as payments_generator
from jobs.synthetic import social as social_generator
from tests import pipeline_runs

FIRST, NEXT = date(2022, 5, 2), date(2022, 5, 3)


def event(kind="account_holder", identifier="AC0000000001", purpose="financial_crime_detection", status="withdrawn", effective_from="2022-05-03") -> dict:
    return {"subject_kind": kind, "subject_identifier": identifier, "purpose": purpose, "status": status, "effective_from": effective_from}


def test_each_bad_consent_event_is_quarantined_with_its_rule(spark):
    rows = [
        event(),
        event(kind="social_author", identifier="939993821", purpose="public_opinion", status="Granted"),
        event(purpose="marketing"),
        event(kind="shoe_size"),
        event(identifier="not an id!"),
        event(status="paused"),
        event(effective_from="03/05/2022"),
        event(identifier="AC0000000002", status="granted"), event(identifier="AC0000000002", status="withdrawn"),
        event(identifier="AC0000000003"), event(identifier="AC0000000003"),
        event(identifier=""),
    ]
    typed = transforms.typed_events(pipeline_runs.bronze_rows(spark, raw.COLUMNS, rows, raw.SOURCE, "consent.csv"), raw.COLUMNS)
    published, quarantined = transforms.split_by_row_rules(typed)
    assert Counter(row["rule_id"] for row in quarantined.collect()) == Counter({
        "purpose_unknown": 1, "subject_kind_unknown": 1, "subject_identifier_malformed": 1, "status_unknown": 1,
        "effective_from_unparseable": 1, "conflicting_statuses_in_file": 2, "duplicate_identical_in_file": 1, "field_missing": 1,
    })
    assert sorted((row["subject_identifier"], row["status"]) for row in published.collect()) == [("939993821", "granted"), ("AC0000000001", "withdrawn"), ("AC0000000003", "withdrawn")]


@pytest.fixture(scope="module")
def consent_lake(spark, tmp_path_factory):
    """Two days of payments and social posts; consent withdrawn on the second day by an author and an account
    holder of the first (a third subject withdraws only from the day after); the second day's runs."""
    from jobs.finance import payments_job
    from jobs.consent_registry import job as consent_job
    from jobs.social import job as social_job
    from tests.conftest import make_settings, point_catalog_at

    root = tmp_path_factory.mktemp("consent")
    settings = make_settings(root / "state")
    point_catalog_at(spark, settings)
    delivered = root / "delivered"
    files, payments, posts = {}, {}, {}
    for day in (FIRST, NEXT):
        folder = delivered / day.isoformat()
        folder.mkdir(parents=True)
        payments[day], _, _ = payments_generator.generate_day(day, 300, 9, defect_share=0.0)
        (folder / "payments.csv").write_text(payments_generator.to_csv(payments[day]), encoding="utf-8")
        posts[day] = social_generator.generate_day(day, 150, seed=4, defect_share=0.0, shape="twarc2")
        (folder / "posts.jsonl").write_text("".join(line.text + "\n" for line in posts[day]), encoding="utf-8")
        files[day] = folder
    pipeline_runs.land_and_run(spark, settings, payments_job.SOURCE, "payments_daily", FIRST.isoformat(), [files[FIRST] / "payments.csv"], "pay-1")
    pipeline_runs.land_and_run(spark, settings, social_job.SOURCE, "social_posts_daily", FIRST.isoformat(), [files[FIRST] / "posts.jsonl"], "social-1")
    authors = Counter(json.loads(line.text)["author_id"] for line in posts[FIRST])
    author, later_author = [name for name, _ in authors.most_common(2)]
    holder = Counter(row["from_account"] for row in payments[FIRST]).most_common(1)[0][0]
    consent_file = delivered / "consent.csv"
    consent_file.write_text(csv_text([
        event("social_author", author, "public_opinion"),
        event("account_holder", holder, "financial_crime_detection"),
        event("social_author", later_author, "public_opinion", effective_from="2022-05-04"),  # not yet on the next day
        event("account_holder", holder, "financial_crime_detection", status="granted", effective_from="2022-05-01"),  # an older grant
        event(purpose="marketing"),
    ], raw.COLUMNS), encoding="utf-8")
    pipeline_runs.land_and_run(spark, settings, consent_job.SOURCE, "consent_daily", NEXT.isoformat(), [consent_file], "consent-2")
    held_before = {
        "author": _count(spark, settings, "silver", "social_posts", f"author_id = '{_pseudonym(author)}'"),
        "holder": _count(spark, settings, "silver", "payment_transactions", f"from_account = '{_pseudonym(holder)}' OR to_account = '{_pseudonym(holder)}'"),
        "later": _count(spark, settings, "silver", "social_posts", f"author_id = '{_pseudonym(later_author)}'"),
    }
    pipeline_runs.land_and_run(spark, settings, payments_job.SOURCE, "payments_daily", NEXT.isoformat(), [files[NEXT] / "payments.csv"], "pay-2")
    pipeline_runs.land_and_run(spark, settings, social_job.SOURCE, "social_posts_daily", NEXT.isoformat(), [files[NEXT] / "posts.jsonl"], "social-2")
    return {"settings": settings, "author": author, "holder": holder, "later": later_author, "before": held_before, "consent_file": consent_file}


def _pseudonym(identifier: str) -> str:
    from tests.test_pseudonyms import expected_pseudonym

    return expected_pseudonym(identifier)


def _count(spark, settings, zone: str, table: str, where: str) -> int:
    return spark.sql(f"SELECT count(*) AS n FROM delta.`{settings.table_path(zone, table)}` WHERE {where}").first()["n"]


def test_the_consent_registry_keeps_events_as_pseudonyms_and_quarantines_an_unknown_purpose(spark, consent_lake):
    settings = consent_lake["settings"]
    events = spark.read.format("delta").load(settings.table_path("silver", "consent_events")).collect()
    assert len(events) == 4 and {row["subject_id"] for row in events} == {_pseudonym(consent_lake[name]) for name in ("author", "holder", "later")}
    assert [row["rule_id"] for row in spark.read.format("delta").load(settings.table_path("quarantine", "consent_registry")).collect()] == ["purpose_unknown"]


def test_a_withdrawn_author_leaves_the_next_runs_silver_and_gold(spark, consent_lake):
    settings, author = consent_lake["settings"], _pseudonym(consent_lake["author"])
    assert consent_lake["before"]["author"] > 0
    assert _count(spark, settings, "silver", "social_posts", f"author_id = '{author}'") == 0  # the first day's posts too
    # The second run recomputed the first day's opinion from what is left: distinct authors as silver says.
    silver = spark.read.format("delta").load(settings.table_path("silver", "social_posts")).where("counts_in_opinion AND created_date = DATE'2022-05-02'")
    from pyspark.sql import functions as F

    expected = {(row["borough"], row["theme"]): row["n"] for row in silver.select("borough", "author_id", F.explode("themes").alias("theme")).groupBy("borough", "theme").agg(F.countDistinct("author_id").alias("n")).collect()}
    gold = spark.read.format("delta").load(settings.table_path("gold", "public_opinion_daily")).where("day = DATE'2022-05-02' AND NOT suppressed").collect()
    assert gold and all(row["distinct_authors"] == expected[(row["borough"], row["theme"])] for row in gold)
    # Withdrawn from the day after the run's: still there. Consent stops the use; bronze keeps what was delivered.
    assert _count(spark, settings, "silver", "social_posts", f"author_id = '{_pseudonym(consent_lake['later'])}'") >= consent_lake["before"]["later"] > 0
    assert _count(spark, settings, "bronze", "social_posts", f"author_id = '{consent_lake['author']}'") > 0


def test_a_withdrawn_account_holder_leaves_the_next_runs_silver_gold_and_products(spark, consent_lake):
    from jobs import declarations, products
    from jobs.audit import RunContext
    from jobs.finance import risk_job

    settings, holder = consent_lake["settings"], _pseudonym(consent_lake["holder"])
    assert consent_lake["before"]["holder"] > 0
    assert _count(spark, settings, "silver", "payment_transactions", f"from_account = '{holder}' OR to_account = '{holder}'") == 0
    assert _count(spark, settings, "gold", "aml_alerts", f"account = '{holder}' OR array_contains(counterparties, '{holder}')") == 0
    applied = {row["table_name"]: row for row in spark.read.format("delta").load(settings.table_path("audit", "consent_applied")).collect()}
    # The first day's rows and the second's, published by the run and then dropped by it.
    assert applied["silver.payment_transactions"]["rows_dropped"] >= consent_lake["before"]["holder"]
    assert applied["silver.social_posts"]["rows_dropped"] >= consent_lake["before"]["author"]
    assert applied["silver.payment_transactions"]["subjects"] == applied["silver.social_posts"]["subjects"] == 1
    product = declarations.registry().products["account_risk"]
    products.run(spark, settings, RunContext("risk-2", "account_risk", "build", NEXT.isoformat()), product, risk_job.build, pipeline_runs.EXPECTATIONS)
    assert _count(spark, settings, "gold", "account_risk_daily", "true") > 0
    assert _count(spark, settings, "gold", "account_risk_daily", f"account = '{holder}'") == 0


def test_a_rerun_of_the_registrys_day_leaves_every_table_as_it_was(spark, consent_lake):
    from jobs.consent_registry import job as consent_job

    settings = consent_lake["settings"]
    before = pipeline_runs.source_table_rows(spark, settings, consent_job.SOURCE)
    pipeline_runs.land_and_run(spark, settings, consent_job.SOURCE, "consent_daily", NEXT.isoformat(), [consent_lake["consent_file"]], "consent-rerun")
    assert pipeline_runs.source_table_rows(spark, settings, consent_job.SOURCE) == before
