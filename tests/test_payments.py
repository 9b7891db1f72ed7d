"""Bank payments through the platform: row rules on crafted rows (no Delta), then two generated days on
real Delta tables: every row published or quarantined under its defect's rule, amounts in the reporting
currency, accounts only as pseudonyms past bronze, the generator's typologies alerted in gold and a rerun
leaving the same tables."""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal

import pytest

from jobs.finance import fx, payments
from jobs.finance import payment_columns as raw
from jobs.settings import PROJECT_ROOT
from jobs.synthetic import payments as generator
from tests import pipeline_runs
from tests.conftest import engine_cached_datasets

DAYS = (date(2022, 5, 2), date(2022, 5, 3))
ROWS = 2_000
SEED = 31
# The generator's defect -> the row rule that must quarantine it.
EXPECTED_RULE = {
    "unknown_currency": "currency_unknown", "negative_amount": "amount_not_positive", "non_numeric_amount": "amount_non_numeric",
    "self_transfer": "self_transfer", "timestamp_without_zone": "timestamp_without_zone",
    "duplicate_id_other_content": "duplicate_id_other_content", "duplicate_identical": "duplicate_identical_in_file",
}
# The generator's typologies -> the rule that must alert on them.
ALERTED_AS = {pattern: pattern for pattern in ("structuring", "fan_in", "fan_out", "cycle", "rapid_pass_through", "scatter_gather", "high_risk_jurisdiction")}


def good(transaction_id: str, **changes) -> dict:
    row = {
        "transaction_id": transaction_id, "timestamp": "2022-05-02T10:15:00-05:00", "from_account": "AC0000000001", "to_account": "AC0000000002",
        "amount": "120.50", "currency": "USD", "channel": "mobile", "counterparty_country": "US", "merchant_category": "",
    }
    return {**row, **changes}


def test_each_bad_payment_is_quarantined_with_its_rule_and_near_misses_are_published(spark):
    rows = [
        good("ok-1"), good("ok-zulu", timestamp="2022-05-02T15:15:00Z"), good("ok-eur", currency="eur", amount="100"),
        good("ok-offset", timestamp="2022-05-02T23:30:00+0200"),
        good("twice"), good("twice"),  # an identical copy: one published
        good("conflict"), good("conflict", amount="121.50"),  # one id, two contents: neither
        good("", amount="5"), good("no-account", to_account=" "), good("no-zone", timestamp="2022-05-02T10:15:00"),
        good("bad-time", timestamp="yesterday"), good("bad-amount", amount="12O.50"), good("zero", amount="0"),
        good("negative", amount="-10.00"), good("unknown-currency", currency="XQZ"), good("self", to_account="AC0000000001"),
        good("before-rates", timestamp="2019-12-31T10:00:00-05:00"),  # no rate that day: never converted at a guess
    ]
    published, quarantined = payments.split_by_row_rules(payments.typed_payments(pipeline_runs.bronze_rows(spark, raw.COLUMNS, rows, raw.SOURCE, "payments.csv")))
    assert sorted(row.transaction_id for row in published.collect()) == ["ok-1", "ok-eur", "ok-offset", "ok-zulu", "twice"]
    got = Counter((row.transaction_id, row.rule_id) for row in quarantined.collect())
    assert got == Counter({
        ("twice", "duplicate_identical_in_file"): 1, ("conflict", "duplicate_id_other_content"): 2, (None, "transaction_id_missing"): 1,
        ("no-account", "account_missing"): 1, ("no-zone", "timestamp_without_zone"): 1, ("bad-time", "timestamp_unparseable"): 1,
        ("bad-amount", "amount_non_numeric"): 1, ("zero", "amount_not_positive"): 1, ("negative", "amount_not_positive"): 1,
        ("unknown-currency", "currency_unknown"): 1, ("self", "self_transfer"): 1, ("before-rates", "currency_unknown"): 1,
    })
    assert all(row.reason == payments.ROW_RULES[row.rule_id] and row.raw_record for row in quarantined.collect())
    silver = {row.transaction_id: row for row in payments.payment_transactions(published).collect()}
    assert silver["ok-offset"].booked_at == datetime(2022, 5, 2, 21, 30) and silver["ok-offset"].booked_date == date(2022, 5, 2)
    assert silver["ok-eur"].amount_reporting == Decimal("106.00") and silver["ok-eur"].currency == "EUR"  # 1.06 from 2022-05-01


def test_the_rate_table_refuses_two_versions_overlaps_and_bad_rates():
    with pytest.raises(ValueError, match="one version"):
        fx.parse("version,currency,valid_from,usd_per_unit\n1,EUR,2022-01-01,1.1\n2,EUR,2022-02-01,1.1\n")
    with pytest.raises(ValueError, match="line 3"):
        fx.parse("version,currency,valid_from,usd_per_unit\n1,EUR,2022-01-01,1.1\n1,EUR,2022-01-01,1.2\n")
    with pytest.raises(ValueError, match="line 2"):
        fx.parse("version,currency,valid_from,usd_per_unit\n1,EUR,2022-01-01,-1\n")
    table = fx.parse("version,currency,valid_from,usd_per_unit\n3,EUR,2022-02-01,1.2\n3,EUR,2022-01-01,1.1\n")
    assert [(rate.valid_from, rate.valid_to) for rate in table.rates] == [(date(2022, 1, 1), date(2022, 2, 1)), (date(2022, 2, 1), fx.OPEN_END)]


@pytest.fixture(scope="module")
def delivered(tmp_path_factory):
    """Two generated days with 5 % defects: (files by day, rows, labels, defects)."""
    folder = tmp_path_factory.mktemp("payments-inbox")
    files, rows, labels, defects = {}, [], [], []
    for day in DAYS:
        generated, day_labels, day_defects = generator.generate_day(day, ROWS, SEED, defect_share=0.05)
        path = folder / generator.FILE_NAME.format(day=day.isoformat())
        path.write_text(generator.to_csv(generated), encoding="utf-8")
        files[day] = path
        rows += generated
        labels += day_labels
        defects += day_defects
    return files, rows, labels, defects


@pytest.fixture(scope="module")
def payments_lake(spark, tmp_path_factory, delivered):
    from jobs.finance import payments_job
    from tests.conftest import make_settings, point_catalog_at

    settings = make_settings(tmp_path_factory.mktemp("payments-lake"))
    point_catalog_at(spark, settings)
    files = delivered[0]
    for day in DAYS:
        pipeline_runs.land_and_run(spark, settings, payments_job.SOURCE, "payments_daily", day.isoformat(), [files[day]], f"payments-{day}")
    return settings


def frame(spark, settings, name: str):
    from tests.test_nyc311_job import table

    return table(spark, settings, name).toPandas()


def test_every_row_is_published_or_quarantined_under_its_defects_rule(spark, payments_lake, delivered):
    _, rows, _, defects = delivered
    checks = frame(spark, payments_lake, "audit.reconciliation")
    assert checks["balanced"].all() and len(checks) == len(DAYS)
    assert checks["manifest_rows"].sum() == len(rows) == (checks["published_rows"] + checks["quarantined_rows"]).sum()
    expected = Counter(EXPECTED_RULE[kind] for _, kind in defects)
    expected["duplicate_id_other_content"] *= 2  # the original and the row reusing its id: neither is published
    assert Counter(frame(spark, payments_lake, "quarantine.payment_transactions")["rule_id"]) == expected


def test_silver_amounts_are_in_dollars_at_the_rate_of_their_day(spark, payments_lake, delivered):
    rates = {}
    with open(PROJECT_ROOT / "jobs" / "reference" / "fx_rates.csv", encoding="utf-8") as file:
        for row in csv.DictReader(file):
            if row["valid_from"] <= DAYS[0].isoformat():
                rates[row["currency"]] = max(rates.get(row["currency"], ("", "")), (row["valid_from"], row["usd_per_unit"]))
    silver = frame(spark, payments_lake, "silver.payment_transactions")
    assert set(silver["currency"]) == {"USD", "EUR", "GBP"}
    for row in silver.itertuples():
        expected = (row.amount * Decimal(rates[row.currency][1])).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        assert row.amount_reporting == expected and row.fx_rate == Decimal(rates[row.currency][1]), row


def test_accounts_leave_bronze_only_as_their_pseudonyms(spark, payments_lake, delivered):
    from tests.test_pseudonyms import expected_pseudonym

    _, rows, _, _ = delivered
    by_id = {row["transaction_id"]: row for row in rows}
    silver = frame(spark, payments_lake, "silver.payment_transactions")
    sample = silver.head(200)
    assert all(row.from_account == expected_pseudonym(by_id[row.transaction_id]["from_account"]) for row in sample.itertuples())
    accounts = {row[name] for row in rows for name in ("from_account", "to_account")}
    for name in ("silver.payment_transactions", "gold.aml_alerts"):
        cells = "\n".join(frame(spark, payments_lake, name).astype(str).to_numpy().ravel())
        assert not [account for account in accounts if account in cells], name


def test_gold_alerts_every_typology_and_no_look_alike(spark, payments_lake, delivered):
    from tests.test_pseudonyms import expected_pseudonym

    _, _, labels, _ = delivered
    alerts = frame(spark, payments_lake, "gold.aml_alerts")
    alerted = {(alert.rule_id, alert.account) for alert in alerts.itertuples()}
    instances = {label.instance: label for label in labels if label.pattern in ALERTED_AS}
    assert len(instances) >= 2 * len(ALERTED_AS)
    for label in instances.values():
        assert any((ALERTED_AS[label.pattern], expected_pseudonym(account)) in alerted for account in label.accounts), label
    look_alikes = {expected_pseudonym(account) for label in labels if label.kind == "legitimate" for account in label.accounts}
    assert not {account for _, account in alerted} & look_alikes
    # Explainable: every alert's evidence is payments in silver, and the thresholds it ran with.
    silver_ids = set(frame(spark, payments_lake, "silver.payment_transactions")["transaction_id"])
    assert all(set(alert.transaction_ids) <= silver_ids for alert in alerts.itertuples())
    assert json.loads(alerts["thresholds"].iloc[0])["reporting_threshold"] == 10_000.0
    assert alerts["alert_id"].is_unique


def test_a_rerun_of_a_day_leaves_the_same_tables(spark, payments_lake, delivered):
    from jobs.finance import payments_job

    def state():
        return {
            name: sorted(frame(spark, payments_lake, name).drop(columns=drop).astype(str).itertuples(index=False))
            for name, drop in (("silver.payment_transactions", []), ("gold.aml_alerts", []), ("quarantine.payment_transactions", []))
        }

    before, cached_before = state(), engine_cached_datasets()
    files = delivered[0]
    pipeline_runs.land_and_run(spark, payments_lake, payments_job.SOURCE, "payments_daily", DAYS[0].isoformat(), [files[DAYS[0]]], "payments-rerun")
    assert state() == before
    # What the run cached or checkpointed on the shared engine (its batches, gold's staged alerts) is released.
    assert engine_cached_datasets() == cached_before


def test_a_key_rotation_rekeys_alert_evidence_element_by_element_and_alerts_still_join_payments(spark, payments_lake, monkeypatch):
    """Runs last: it re-keys the module's lake."""
    import dataclasses
    import os

    from jobs import pseudonyms

    before = frame(spark, payments_lake, "gold.aml_alerts").set_index("alert_id")
    first, second = os.environ["CITYLAKE_PSEUDONYM_KEY"], "rotated-" + os.urandom(16).hex()
    monkeypatch.setenv("CITYLAKE_PSEUDONYM_KEY_V1", first)
    monkeypatch.setenv("CITYLAKE_PSEUDONYM_KEY", second)
    rotated = dataclasses.replace(payments_lake, pseudonym_key_version="2")
    rekeyed = pseudonyms.rotate(spark, rotated, "rotation-1")
    assert rekeyed["gold.aml_alerts"] == len(before) and "silver.payment_transactions" in rekeyed

    def layered(pseudonym: str) -> str:
        from tests.test_pseudonyms import expected_pseudonym_under

        return expected_pseudonym_under(second, pseudonym)

    after = frame(spark, payments_lake, "gold.aml_alerts").set_index("alert_id")
    for alert_id, alert in after.iterrows():
        assert alert.account == layered(before.loc[alert_id, "account"])
        assert list(alert.counterparties) == [layered(p) for p in before.loc[alert_id, "counterparties"]]
    # Evidence still names the accounts silver holds under the new key.
    silver = frame(spark, payments_lake, "silver.payment_transactions").set_index("transaction_id")
    for alert in after.itertuples():
        accounts = set(silver.loc[list(alert.transaction_ids), ["from_account", "to_account"]].to_numpy().ravel())
        assert alert.account in accounts and set(alert.counterparties) <= accounts
