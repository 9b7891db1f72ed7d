"""AML rules on crafted transactions: each rule fires on its typology and stays quiet on a near miss;
cycles are reported once, from their smallest account; the generator's typologies are all found."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from jobs.finance import aml

T0 = datetime(2024, 3, 2, 9, 0, 0)
SCHEMA = "transaction_id string, booked_at timestamp, from_account string, to_account string, amount double, channel string, counterparty_country string, merchant_category string"


def payment(number: int, minutes: float, source: str, target: str, amount: float, channel: str = "mobile", country: str = "US", category: str | None = None) -> tuple:
    return (f"t{number:03d}", T0 + timedelta(minutes=minutes), source, target, float(amount), channel, country, category)


def alerts(spark, rule: str, rows: list[tuple]) -> list:
    frame = spark.createDataFrame(rows, SCHEMA)
    return aml.RULES[rule](frame).orderBy("account", "window_start").collect()


def test_structuring_fires_on_cash_just_under_the_threshold_not_on_two_payments_or_wires(spark):
    fired = alerts(spark, "structuring", [payment(i, 60 * i, "a", f"b{i}", 9_500, "cash") for i in range(3)])
    assert [(alert.account, alert.transaction_ids) for alert in fired] == [("a", ["t000", "t001", "t002"])]
    assert fired[0].score == pytest.approx(2.85)
    near_misses = [payment(i, 60 * i, "c", "d", 9_500, "cash") for i in range(2)]  # two only
    near_misses += [payment(10 + i, 60 * i, "e", "f", 9_500, "wire") for i in range(3)]  # not cash
    near_misses += [payment(20 + i, 60 * 13 * i, "g", "h", 9_500, "cash") for i in range(3)]  # over more than 24 hours
    near_misses += [payment(30 + i, 60 * i, "k", "l", 8_000, "cash") for i in range(3)]  # not just under
    assert alerts(spark, "structuring", near_misses) == []


def test_fan_in_fires_on_a_funnel_account_not_on_a_shops_card_takings(spark):
    funnel = [payment(i, 20 * i, f"s{i:02d}", "hub", 1_000) for i in range(8)]
    fired = alerts(spark, "fan_in", funnel)
    assert [(alert.account, len(alert.counterparties)) for alert in fired] == [("hub", 8)]  # one alert, not one per payment
    shop = [payment(i, 10 * i, f"c{i:02d}", "shop", 40, "card") for i in range(30)]
    seven = [payment(100 + i, 20 * i, f"s{i:02d}", "hub2", 1_000) for i in range(7)]
    spread = [payment(200 + i, 60 * i, f"s{i:02d}", "hub3", 1_000) for i in range(8)]  # over 7 hours
    assert alerts(spark, "fan_in", shop + seven + spread) == []


def test_fan_out_fires_on_one_account_paying_many_not_on_payroll(spark):
    fired = alerts(spark, "fan_out", [payment(i, 15 * i, "src", f"r{i:02d}", 2_345.67) for i in range(9)])
    assert [(alert.account, len(alert.transaction_ids)) for alert in fired] == [("src", 9)]
    payroll = [payment(i, 0, "employer", f"e{i:02d}", 3_000, "wire", category="payroll") for i in range(25)]
    assert alerts(spark, "fan_out", payroll) == []


@pytest.mark.parametrize("length", [2, 3, 6])
def test_a_cycle_is_found_once_from_its_smallest_account(spark, length):
    ring = [f"acc{index}" for index in (5, 2, 9, 4, 7, 3)[:length]]
    rows = [payment(i, 30 * i, ring[i], ring[(i + 1) % length], 10_000 * 0.98**i, "wire") for i in range(length)]
    fired = alerts(spark, "cycle", rows)
    assert len(fired) == 1
    assert fired[0].account == min(ring) and sorted(fired[0].counterparties) == sorted(set(ring) - {min(ring)})
    assert fired[0].transaction_ids == sorted(row[0] for row in rows)


def test_no_cycle_when_time_runs_backwards_the_money_does_not_come_back_or_it_takes_too_long(spark):
    backwards = [payment(0, 60, "a", "b", 5_000, "wire"), payment(1, 0, "b", "a", 4_900, "wire")]
    rent = [payment(2, 0, "tenant", "landlord", 1_500), payment(3, 600, "landlord", "tenant", 300)]  # family: a small sum back
    slow = [payment(4, 0, "x", "y", 5_000, "wire"), payment(5, 60 * 30, "y", "x", 4_900, "wire")]  # 30 hours
    assert alerts(spark, "cycle", backwards + rent + slow) == []


def test_rapid_pass_through_fires_on_money_sent_on_within_two_hours_not_later_or_a_small_part(spark):
    fired = alerts(spark, "rapid_pass_through", [payment(0, 0, "origin", "mule", 50_000, "wire"), payment(1, 45, "mule", "away", 47_000, "wire")])
    assert [(alert.account, alert.transaction_ids, alert.counterparties) for alert in fired] == [("mule", ["t000", "t001"], ["away", "origin"])]
    later = [payment(2, 0, "o2", "m2", 50_000, "wire"), payment(3, 180, "m2", "a2", 47_000, "wire")]
    small_part = [payment(4, 0, "o3", "m3", 50_000, "wire"), payment(5, 30, "m3", "a3", 5_000, "wire")]
    small_in = [payment(6, 0, "o4", "m4", 5_000, "wire"), payment(7, 30, "m4", "a4", 4_900, "wire")]
    assert alerts(spark, "rapid_pass_through", later + small_part + small_in) == []


def test_high_risk_jurisdiction_fires_on_a_listed_country_only(spark):
    fired = alerts(spark, "high_risk_jurisdiction", [payment(0, 0, "a", "b", 3_000, "wire", "IR"), payment(1, 0, "c", "d", 3_000, "wire", "DE")])
    assert [(alert.account, alert.counterparties) for alert in fired] == [("a", ["b"])]


def test_the_generators_typologies_are_found_and_its_look_alikes_raise_no_alert(spark):
    from jobs.synthetic import payments

    rows, labels, _ = payments.generate_day(date(2024, 3, 2), 4000, seed=11, defect_share=0.0)
    typed = [
        (row["transaction_id"], datetime.fromisoformat(row["timestamp"]).astimezone().replace(tzinfo=None), row["from_account"], row["to_account"],
         float(row["amount"]), row["channel"], row["counterparty_country"], row["merchant_category"] or None)
        for row in rows
    ]
    fired = aml.aml_alerts(spark.createDataFrame(typed, SCHEMA)).collect()
    alerted = {(alert.rule_id, alert.account) for alert in fired}
    expected_rule = {"structuring": "structuring", "fan_in": "fan_in", "fan_out": "fan_out", "cycle": "cycle", "rapid_pass_through": "rapid_pass_through", "high_risk_jurisdiction": "high_risk_jurisdiction"}
    for label in labels:
        if label.pattern in expected_rule:
            assert any((expected_rule[label.pattern], account) in alerted for account in label.accounts), label
    look_alike_accounts = {account for label in labels if label.kind == "legitimate" for account in label.accounts}
    assert not {account for _, account in alerted} & look_alike_accounts
    # Same input, same alerts.
    again = aml.aml_alerts(spark.createDataFrame(typed, SCHEMA)).collect()
    assert sorted(map(repr, again)) == sorted(map(repr, fired))
