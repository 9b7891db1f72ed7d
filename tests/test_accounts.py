"""Bank accounts (KYC) through the platform: row rules on crafted records (no Delta), then generated
extracts on real Delta tables: every record published or quarantined under its defect's rule, no name,
birth date, national id, phone, address or account number of the fixture past bronze, accounts keyed as
payments key them, and an earlier day's extract never replacing a later record."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from jobs.finance import account_columns as raw
from jobs.finance import accounts
from jobs.synthetic import accounts as generator
from tests import pipeline_runs

LATER, EARLIER = date(2022, 5, 3), date(2022, 5, 2)  # delivered in this order: a late backfill of the earlier day
ROWS = 1_500
SEED = 41
# The generator's defect -> the row rule that must quarantine it.
EXPECTED_RULE = {
    "account_id_missing": "account_id_missing", "name_missing": "name_missing", "date_of_birth_unparseable": "date_of_birth_unparseable",
    "date_of_birth_in_future": "date_of_birth_implausible", "customer_type_unknown": "customer_type_unknown",
    "duplicate_id_other_content": "duplicate_id_other_content", "duplicate_identical": "duplicate_identical_in_file",
}


def good(account_id: str, **changes) -> dict:
    row = {
        "account_id": account_id, "customer_name": "Olga Petrov", "date_of_birth": "1980-02-29", "national_id": "912345678",
        "phone": "+1-212-555-0142", "address": "12 Quarry St, Springfield", "country": "us", "opening_date": "2019-03-01", "customer_type": "Individual",
    }
    return {**row, **changes}


def test_each_bad_record_is_quarantined_with_its_rule_and_near_misses_are_published(spark):
    rows = [
        good("ok-1"), good("ok-business", customer_name="Atlas Trading LLC", date_of_birth="", customer_type="business"),
        good("ok-oldest", date_of_birth="1900-01-01"), good("ok-no-opening", opening_date=""),
        good("twice"), good("twice"),  # an identical copy: one published
        good("conflict"), good("conflict", phone="+1-212-555-0143"),  # one id, two contents: neither
        good(" "), good("no-name", customer_name=""), good("trust", customer_type="trust"), good("no-type", customer_type=""),
        good("bad-birth", date_of_birth="29/02/1980"), good("not-a-day", date_of_birth="1981-02-29"),
        good("future", date_of_birth="2090-01-01"), good("too-old", date_of_birth="1899-12-31"), good("bad-opening", opening_date="March 2019"),
    ]
    published, quarantined = accounts.split_by_row_rules(accounts.typed_accounts(pipeline_runs.bronze_rows(spark, raw.COLUMNS, rows, raw.SOURCE, "accounts.csv")))
    assert sorted(row.account_id for row in published.collect()) == ["ok-1", "ok-business", "ok-no-opening", "ok-oldest", "twice"]
    got = Counter((row.account_id, row.rule_id) for row in quarantined.collect())
    assert got == Counter({
        ("twice", "duplicate_identical_in_file"): 1, ("conflict", "duplicate_id_other_content"): 2, (None, "account_id_missing"): 1,
        ("no-name", "name_missing"): 1, ("trust", "customer_type_unknown"): 1, ("no-type", "customer_type_unknown"): 1,
        ("bad-birth", "date_of_birth_unparseable"): 1, ("not-a-day", "date_of_birth_unparseable"): 1,
        ("future", "date_of_birth_implausible"): 1, ("too-old", "date_of_birth_implausible"): 1, ("bad-opening", "opening_date_unparseable"): 1,
    })
    assert all(row.reason == accounts.ROW_RULES[row.rule_id] and row.raw_record for row in quarantined.collect())
    silver = {row.account_id: row for row in accounts.bank_accounts(published).collect()}
    assert silver["ok-1"].birth_year == 1980 and silver["ok-1"].country == "US" and silver["ok-1"].customer_type == "individual"
    assert silver["ok-business"].birth_year is None and "customer_name" not in silver["ok-1"].asDict()


@pytest.fixture(scope="module")
def delivered(tmp_path_factory):
    """Two generated extracts (5 % defects): {day: (path, rows, defects)}."""
    folder = tmp_path_factory.mktemp("accounts-inbox")
    extracts = {}
    for day in (LATER, EARLIER):
        rows, _, defects = generator.generate_day(day, ROWS, SEED, defect_share=0.05)
        path = folder / generator.FILE_NAME.format(day=day.isoformat())
        path.write_text(generator.to_csv(rows), encoding="utf-8")
        extracts[day] = (path, rows, defects)
    return extracts


@pytest.fixture(scope="module")
def accounts_lake(spark, tmp_path_factory, delivered):
    from jobs.finance import accounts_job
    from tests.conftest import make_settings, point_catalog_at

    settings = make_settings(tmp_path_factory.mktemp("accounts-lake"))
    point_catalog_at(spark, settings)
    for day in (LATER, EARLIER):
        pipeline_runs.land_and_run(spark, settings, accounts_job.SOURCE, "accounts_daily", day.isoformat(), [delivered[day][0]], f"accounts-{day}")
    return settings


def frame(spark, settings, name: str):
    from tests.test_nyc311_job import table

    return table(spark, settings, name).toPandas()


def test_every_record_is_published_or_quarantined_under_its_defects_rule(spark, accounts_lake, delivered):
    checks = frame(spark, accounts_lake, "audit.reconciliation")
    assert checks["balanced"].all() and len(checks) == 2
    assert checks["manifest_rows"].sum() == sum(len(rows) for _, rows, _ in delivered.values()) == (checks["published_rows"] + checks["quarantined_rows"]).sum()
    expected = Counter(EXPECTED_RULE[kind] for _, _, defects in delivered.values() for _, kind in defects)
    expected["duplicate_id_other_content"] *= 2  # the record and its conflicting copy: neither is published
    assert Counter(frame(spark, accounts_lake, "quarantine.bank_accounts")["rule_id"]) == expected


def test_personal_data_leaves_bronze_only_as_pseudonyms_and_a_birth_year(spark, accounts_lake, delivered):
    from tests.test_pseudonyms import expected_pseudonym

    rows = [row for _, day_rows, _ in delivered.values() for row in day_rows]
    silver = frame(spark, accounts_lake, "silver.bank_accounts")
    by_pseudonym = {expected_pseudonym(row["account_id"]): row for row in rows if row["account_id"]}
    assert set(silver["account_id"]) <= set(by_pseudonym)  # the same pseudonym the payments' accounts get
    defective = {expected_pseudonym(account) for _, _, defects in delivered.values() for account, _ in defects}
    for record in silver[~silver["account_id"].isin(defective)].head(100).itertuples():
        clear = by_pseudonym[record.account_id]
        assert record.holder_id == expected_pseudonym(clear["national_id"]) and record.phone == expected_pseudonym(clear["phone"])
        if clear["date_of_birth"]:
            assert record.birth_year == int(clear["date_of_birth"][:4])
        else:
            assert pd.isna(record.birth_year)
    cells = "\n".join(silver.astype(str).to_numpy().ravel())
    personal = {row[name] for row in rows for name in ("account_id", "customer_name", "date_of_birth", "national_id", "phone", "address") if row[name].strip()}
    assert not [value for value in personal if value in cells]


def test_no_delta_log_holds_a_holders_personal_data_restricted_zones_included(accounts_lake, delivered):
    from tests.personal_data import found_in_delta_logs

    rows = [row for _, day_rows, _ in delivered.values() for row in day_rows]
    personal = {row[name].strip() for row in rows for name in ("account_id", "customer_name", "national_id", "phone", "address") if len(row[name].strip()) >= 4}
    assert (Path(accounts_lake.lake_root) / "bronze" / "bank_accounts" / "_delta_log").is_dir()
    assert not found_in_delta_logs(accounts_lake.lake_root, personal)


def test_an_earlier_days_extract_never_replaces_a_later_record(spark, accounts_lake, delivered):
    from tests.test_pseudonyms import expected_pseudonym

    silver = frame(spark, accounts_lake, "silver.bank_accounts").set_index("account_id")
    # One copy of an identical duplicate is published; every other defect quarantines the record.
    quarantined_later = {account for account, kind in delivered[LATER][2] if kind != "duplicate_identical"}
    later_ids = {expected_pseudonym(row["account_id"]) for row in delivered[LATER][1] if row["account_id"] and row["account_id"] not in quarantined_later}
    earlier_only = {expected_pseudonym(row["account_id"]) for row in delivered[EARLIER][1] if row["account_id"]} - later_ids
    assert earlier_only and later_ids & set(silver.index)
    assert (silver.loc[sorted(later_ids & set(silver.index)), "record_date"] == LATER).all()
    assert (silver.loc[sorted(earlier_only & set(silver.index)), "record_date"] == EARLIER).all()


def test_a_rerun_of_a_day_leaves_every_table_as_it_was(spark, accounts_lake, delivered):
    from jobs.finance import accounts_job

    before = pipeline_runs.source_table_rows(spark, accounts_lake, accounts_job.SOURCE)
    pipeline_runs.land_and_run(spark, accounts_lake, accounts_job.SOURCE, "accounts_daily", LATER.isoformat(), [delivered[LATER][0]], "accounts-rerun")
    assert pipeline_runs.source_table_rows(spark, accounts_lake, accounts_job.SOURCE) == before
