"""AML rules on crafted transactions: each rule fires on its typology and stays quiet on a near miss;
cycles are reported once, from their smallest account; the generator's typologies are all found."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest

from jobs.finance import aml
from jobs.settings import PROJECT_ROOT

T0 = datetime(2024, 3, 2, 9, 0, 0)
SCHEMA = "transaction_id string, booked_at timestamp, from_account string, to_account string, amount double, channel string, counterparty_country string, merchant_category string"


def payment(number: int, minutes: float, source: str, target: str, amount: float, channel: str = "mobile", country: str = "US", category: str | None = None) -> tuple:
    return (f"t{number:03d}", T0 + timedelta(minutes=minutes), source, target, float(amount), channel, country, category)


def alerts(spark, rule: str, rows: list[tuple], thresholds: aml.Thresholds = aml.DEFAULT) -> list:
    frame = spark.createDataFrame(rows, SCHEMA)
    return aml.RULES[rule](frame, thresholds).orderBy("account", "window_start").collect()


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


def test_scatter_gather_fires_when_intermediaries_pass_money_to_one_destination_not_to_several_or_a_part(spark):
    scatter = [payment(i, i, "src", f"m{i}", 5_000 + i, "mobile") for i in range(4)]
    gather = [payment(10 + i, 180 + i, f"m{i}", "dst", (5_000 + i) * 0.98, "mobile") for i in range(4)]
    fired = alerts(spark, "scatter_gather", scatter + gather)
    assert [(alert.account, alert.counterparties, len(alert.transaction_ids)) for alert in fired] == [("src", ["dst", "m0", "m1", "m2", "m3"], 8)]
    three = [payment(20 + i, i, "s2", f"n{i}", 5_000, "mobile") for i in range(3)] + [payment(30 + i, 120, f"n{i}", "d2", 4_900, "mobile") for i in range(3)]
    several = [payment(40 + i, i, "s3", f"k{i}", 5_000, "mobile") for i in range(4)] + [payment(50 + i, 120, f"k{i}", f"d3{i}", 4_900, "mobile") for i in range(4)]
    part = [payment(60 + i, i, "s4", f"p{i}", 5_000, "mobile") for i in range(4)] + [payment(70 + i, 120, f"p{i}", "d4", 1_000, "mobile") for i in range(4)]
    slow = [payment(80 + i, i, "s5", f"q{i}", 5_000, "mobile") for i in range(4)] + [payment(90 + i, 60 * 30, f"q{i}", "d5", 4_900, "mobile") for i in range(4)]
    assert alerts(spark, "scatter_gather", three + several + part + slow) == []


def test_sudden_change_weighs_an_account_against_its_own_history(spark):
    usual = [payment(i, 60 * 24 * day, "steady", f"r{day}", 800, "wire") for i, day in enumerate(range(10))]
    jump = [payment(20, 60 * 24 * 10, "steady", "far", 12_000, "wire")]
    fired = alerts(spark, "sudden_change", usual + jump)
    assert [(alert.account, alert.transaction_ids, alert.counterparties) for alert in fired] == [("steady", ["t020"], ["far"])]
    assert fired[0].score == pytest.approx(12_000 / (8_000 / 30 * 5))
    new_account = [payment(30, 0, "fresh", "x", 50_000, "wire")]  # no history to weigh it against
    big_spender = [payment(40 + day, 60 * 24 * day, "rich", "y", 9_000, "wire") for day in range(10)] + [payment(60, 60 * 24 * 10, "rich", "y", 12_000, "wire")]
    small = [payment(70 + day, 60 * 24 * day, "thrifty", "z", 10, "wire") for day in range(10)] + [payment(90, 60 * 24 * 10, "thrifty", "z", 2_000, "wire")]
    assert alerts(spark, "sudden_change", new_account + big_spender + small) == []


def test_with_a_days_payments_at_one_instant_a_cycle_in_day_order_is_found_once_and_one_going_back_a_day_is_not(spark):
    same_day = [payment(0, 0, "b", "c", 15), payment(1, 0, "c", "a", 15), payment(2, 0, "a", "b", 15)]
    next_days = [payment(3, 0, "p", "q", 12), payment(4, 60 * 24, "q", "p", 12)]
    backwards = [payment(5, 60 * 24, "x", "y", 12), payment(6, 0, "y", "z", 12), payment(7, 60 * 48, "z", "x", 12)]
    fired = alerts(spark, "cycle", same_day + next_days + backwards, aml.AMLSIM)
    assert [(alert.account, alert.transaction_ids) for alert in fired] == [("a", ["t000", "t001", "t002"]), ("p", ["t003", "t004"])]
    assert alerts(spark, "cycle", same_day) == []  # the bank's profile reads no order into one instant


def test_an_amount_out_of_an_accounts_character_fires_and_its_usual_amounts_do_not(spark):
    usual = [payment(i, 60 * 24 * i, "steady", f"r{i}", 250) for i in range(4)]
    odd = [payment(10, 60 * 24 * 5, "steady", "mule", 15)]
    new = [payment(20, 0, "fresh", "z", 15)]  # no history to weigh it against
    splurge = [payment(30 + i, 60 * 24 * i, "thrifty", f"s{i}", 12) for i in range(4)] + [payment(40, 60 * 24 * 5, "thrifty", "shop", 300)]
    fired = alerts(spark, "amount_out_of_character", usual + odd + new + splurge)
    # A sum split off far below the usual names its payee; a payment far above it names the account alone.
    assert [(alert.account, alert.transaction_ids, alert.counterparties) for alert in fired] == [("steady", ["t010"], ["mule"]), ("thrifty", ["t040"], [])]
    assert fired[0].score == pytest.approx(250 / 15 / 2, abs=1e-4)  # scores are kept to 4 decimals


def test_an_account_dealing_with_four_accounts_the_other_rules_name_or_paying_three_fires_and_near_misses_do_not(spark):
    thresholds = aml.Thresholds(rules=("reciprocal_pair", "network"), network_count=4, network_paid_count=3, network_hours=30 * 24)
    pairs = [row for i in range(4) for row in (payment(10 * i, 0, f"m{i}", f"n{i}", 50), payment(10 * i + 1, 60, f"n{i}", f"m{i}", 50))]
    day = 60 * 24
    hub = [payment(50, day, "hub", "m0", 20), payment(51, 2 * day, "hub", "m1", 20), payment(52, 3 * day, "m2", "hub", 20), payment(53, 4 * day, "m3", "hub", 20)]
    sender = [payment(55 + i, day, "sender", f"n{i}", 20) for i in range(3)]
    # Three named either way, two of them paid (and an unnamed one); three in 30 days, one paid, and a fourth too late.
    near = [payment(60, day, "near", "m0", 20), payment(61, day, "near", "m1", 20), payment(62, day, "m2", "near", 20), payment(63, day, "near", "someone", 20)]
    late = [payment(70, day, "late", "n0", 20), payment(71, day, "n1", "late", 20), payment(72, day, "n2", "late", 20), payment(73, 40 * day, "late", "n3", 20)]
    fired = alerts(spark, "network", pairs + hub + sender + near + late, thresholds)
    assert [(alert.account, alert.transaction_ids, alert.counterparties, alert.score) for alert in fired] == [
        ("hub", ["t050", "t051", "t052", "t053"], ["m0", "m1", "m2", "m3"], 1.0),
        ("sender", ["t055", "t056", "t057"], ["n0", "n1", "n2"], 1.0),
    ]
    # It adds to the other rules: with them in one table, the pairs' alerts are all there too.
    assert {alert.rule_id for alert in aml.aml_alerts(spark.createDataFrame(pairs + hub, SCHEMA), thresholds).collect()} == {"reciprocal_pair", "network"}
    assert aml.history_days("network", thresholds) == 30 + 1


def test_a_reciprocal_pair_fires_once_per_pair_within_its_window(spark):
    rows = [payment(0, 0, "v", "u", 40), payment(1, 60, "u", "v", 10), payment(2, 120, "v", "u", 5), payment(3, 0, "s", "t", 40), payment(4, 60 * 30, "t", "s", 40)]
    fired = alerts(spark, "reciprocal_pair", rows)
    assert [(alert.account, alert.counterparties, alert.transaction_ids) for alert in fired] == [("u", ["v"], ["t000", "t001", "t002"])]


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
    expected_rule = {"structuring": "structuring", "fan_in": "fan_in", "fan_out": "fan_out", "cycle": "cycle", "rapid_pass_through": "rapid_pass_through", "scatter_gather": "scatter_gather", "high_risk_jurisdiction": "high_risk_jurisdiction"}
    for label in labels:
        if label.pattern in expected_rule:
            assert any((expected_rule[label.pattern], account) in alerted for account in label.accounts), label
    look_alike_accounts = {account for label in labels if label.kind == "legitimate" for account in label.accounts}
    assert not {account for _, account in alerted} & look_alike_accounts
    # Same input, same alerts.
    again = aml.aml_alerts(spark.createDataFrame(typed, SCHEMA)).collect()
    assert sorted(map(repr, again)) == sorted(map(repr, fired))


def test_the_deployment_picks_its_profile_by_name(monkeypatch):
    monkeypatch.delenv(aml.PROFILE_VARIABLE, raising=False)
    assert aml.profile() is aml.DEFAULT
    monkeypatch.setenv(aml.PROFILE_VARIABLE, "amlsim")
    assert aml.profile() is aml.AMLSIM
    monkeypatch.setenv(aml.PROFILE_VARIABLE, "strict")
    with pytest.raises(ValueError, match="CITYLAKE_AML_PROFILE must be one of"):
        aml.profile()


def test_the_alerts_suite_allows_exactly_the_rules_the_module_has():
    """The suite lists the rule ids as a value set: a rule added to ``aml.RULES`` must be added there too."""
    suite = json.loads((PROJECT_ROOT / "expectations" / "gold_aml_alerts.json").read_text())
    (allowed,) = [
        expectation["kwargs"]["value_set"] for expectation in suite["expectations"]
        if expectation["type"] == "expect_column_values_to_be_in_set" and expectation["kwargs"]["column"] == "rule_id"
    ]
    assert allowed == list(aml.RULES)
