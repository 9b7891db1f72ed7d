"""Explainable AML alerts as DataFrame transforms: each rule names its source, its thresholds are
configuration, and every alert carries the transactions and counterparties that made it fire.

Input: typed transactions in one reporting currency (``transaction_id``, ``booked_at`` timestamp,
``from_account``, ``to_account``, ``amount``, ``channel``, ``counterparty_country``, ``merchant_category``),
accounts already pseudonyms. Output: one row per alert (:data:`ALERT_COLUMNS`). Same input, same alerts:
no rule depends on row order, and evidence lists are sorted.

Rules (FATF, "Money Laundering and Terrorist Financing Red Flag Indicators" and the typologies reports;
FinCEN's 10,000 USD currency transaction report threshold):

- ``structuring``: 3 or more cash payments by one account within 24 hours, each between 90 % of the
  reporting threshold and the threshold, together over it;
- ``fan_in``: one account paid by 8 or more distinct accounts within 6 hours, card purchases aside (a
  shop's takings are not a funnel);
- ``fan_out``: one account paying 8 or more distinct accounts within 6 hours, payroll aside;
- ``cycle``: money that goes round 2 to 6 accounts back to the first within 24 hours, each hop later than
  the one before and keeping 80-100 % of the amount; found with joins in Spark (never by collecting the
  graph), accounts without both an incoming and an outgoing payment pruned first; time order makes each
  cycle found once (from its earliest payment), and it is reported under its smallest account;
- ``rapid_pass_through``: an incoming payment of at least 10,000 sent on, 80-100 % of it, within 2 hours;
- ``high_risk_jurisdiction``: a payment to or from a jurisdiction on FATF's call-for-action list.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.window import Window

ALERT_COLUMNS = ("rule_id", "account", "window_start", "window_end", "score", "transaction_ids", "counterparties", "status")


@dataclass(frozen=True)
class Thresholds:
    """Every rule's parameters, with the values the module's docstring gives (configuration, not code)."""

    reporting_threshold: float = 10_000.0
    structuring_floor: float = 0.9  # share of the threshold from which a cash payment counts as "just under"
    structuring_count: int = 3
    structuring_hours: int = 24
    fan_count: int = 8
    fan_hours: int = 6
    cycle_min_length: int = 2
    cycle_max_length: int = 6
    cycle_hours: int = 24
    cycle_kept_share: float = 0.8  # each hop keeps at least this share of the amount before it
    pass_through_amount: float = 10_000.0
    pass_through_hours: int = 2
    pass_through_share: float = 0.8
    high_risk_countries: tuple[str, ...] = ("KP", "IR", "MM")


DEFAULT = Thresholds()


def _seconds(column: str) -> Column:
    return F.col(column).cast("long")


def _alert(rule: str, account: Column, start: Column, end: Column, score: Column, transactions: Column, counterparties: Column) -> list[Column]:
    return [
        F.lit(rule).alias("rule_id"), account.alias("account"), start.alias("window_start"), end.alias("window_end"),
        F.round(score.cast("double"), 4).alias("score"), F.array_sort(transactions).alias("transaction_ids"),
        F.array_sort(F.array_distinct(counterparties)).alias("counterparties"), F.lit("open").alias("status"),
    ]


def _bursts(events: DataFrame, account: str, hours: int) -> DataFrame:
    """For each event, the events of the same account from it to ``hours`` later (the window it opens)."""
    ordered = Window.partitionBy(account).orderBy(_seconds("booked_at")).rangeBetween(0, hours * 3600)
    return events.withColumn("_window", F.collect_list(F.struct("booked_at", "transaction_id", "amount", "counterparty")).over(ordered))


def _first_of_bursts(windows: DataFrame, account: str, qualifies: Column) -> DataFrame:
    """Keep windows that qualify and are not inside an earlier qualifying window of the same account: a burst
    is reported from its first event only, so one burst gives one alert, not one per event in it."""
    earlier = Window.partitionBy(account).orderBy("booked_at", "transaction_id")
    marked = windows.withColumn("_qualifies", qualifies).withColumn(
        "_covered_until", F.max(F.when(F.col("_qualifies"), F.element_at(F.col("_window"), -1)["booked_at"])).over(earlier.rowsBetween(Window.unboundedPreceding, -1))
    )
    return marked.where(F.col("_qualifies") & (F.col("_covered_until").isNull() | (F.col("booked_at") > F.col("_covered_until"))))


def structuring(transactions: DataFrame, thresholds: Thresholds = DEFAULT) -> DataFrame:
    floor = thresholds.reporting_threshold * thresholds.structuring_floor
    near = transactions.where(
        (F.col("channel") == "cash") & (F.col("amount") >= floor) & (F.col("amount") < thresholds.reporting_threshold)
    ).select("transaction_id", "booked_at", "amount", F.col("from_account").alias("account"), F.col("to_account").alias("counterparty"))
    windows = _bursts(near, "account", thresholds.structuring_hours)
    total = F.aggregate(F.col("_window.amount"), F.lit(0.0), lambda sum_, amount: sum_ + amount)
    first = _first_of_bursts(windows, "account", (F.size("_window") >= thresholds.structuring_count) & (total > thresholds.reporting_threshold))
    return first.select(*_alert(
        "structuring", F.col("account"), F.col("booked_at"), F.element_at(F.col("_window"), -1)["booked_at"],
        total / thresholds.reporting_threshold, F.col("_window.transaction_id"), F.col("_window.counterparty"),
    ))


def _fan(transactions: DataFrame, rule: str, hub: str, other: str, excluded: Column, thresholds: Thresholds) -> DataFrame:
    edges = transactions.where(~excluded).select("transaction_id", "booked_at", "amount", F.col(hub).alias("account"), F.col(other).alias("counterparty"))
    windows = _bursts(edges, "account", thresholds.fan_hours)
    distinct = F.size(F.array_distinct(F.col("_window.counterparty")))
    first = _first_of_bursts(windows, "account", distinct >= thresholds.fan_count)
    return first.select(*_alert(
        rule, F.col("account"), F.col("booked_at"), F.element_at(F.col("_window"), -1)["booked_at"],
        distinct / thresholds.fan_count, F.col("_window.transaction_id"), F.col("_window.counterparty"),
    ))


def fan_in(transactions: DataFrame, thresholds: Thresholds = DEFAULT) -> DataFrame:
    return _fan(transactions, "fan_in", "to_account", "from_account", F.col("channel") == "card", thresholds)


def fan_out(transactions: DataFrame, thresholds: Thresholds = DEFAULT) -> DataFrame:
    return _fan(transactions, "fan_out", "from_account", "to_account", F.coalesce(F.col("merchant_category") == "payroll", F.lit(False)), thresholds)


def cycles(transactions: DataFrame, thresholds: Thresholds = DEFAULT) -> DataFrame:
    """Paths grown hop by hop with joins; a path that comes back to its first account is a cycle."""
    edges = transactions.where(F.col("from_account") != F.col("to_account")).select(
        "transaction_id", "booked_at", "amount", F.col("from_account").alias("source"), F.col("to_account").alias("target")
    )
    # An account on a cycle both pays and is paid: prune the others before any join.
    paying = edges.select(F.col("source").alias("account")).distinct()
    paid = edges.select(F.col("target").alias("account")).distinct()
    both = paying.join(paid, "account")
    edges = edges.join(both.withColumnRenamed("account", "source"), "source").join(both.withColumnRenamed("account", "target"), "target")
    window = thresholds.cycle_hours * 3600
    # Each hop is later than the one before, so a cycle is found once: from its earliest payment (any other
    # rotation would go back in time). It is reported under its smallest account.
    paths = edges.select(
        F.col("source").alias("start"), F.col("target").alias("last"), F.col("booked_at").alias("first_at"), F.col("booked_at").alias("last_at"),
        F.col("amount").alias("last_amount"), F.array("source").alias("accounts"), F.array("transaction_id").alias("transaction_ids"),
        F.col("amount").alias("first_amount"),
    )
    found = []
    for length in range(2, thresholds.cycle_max_length + 1):
        hop = edges.select(
            F.col("source").alias("_source"), F.col("target").alias("_target"), F.col("booked_at").alias("_at"),
            F.col("amount").alias("_amount"), F.col("transaction_id").alias("_transaction"),
        )
        grown = paths.join(
            hop,
            (F.col("last") == F.col("_source")) & (F.col("_at") > F.col("last_at")) & (_seconds("_at") - _seconds("first_at") <= window)
            & (F.col("_amount") >= F.col("last_amount") * thresholds.cycle_kept_share) & (F.col("_amount") <= F.col("last_amount")),
        )
        step = grown.select(
            "start", F.col("_target").alias("last"), "first_at", F.col("_at").alias("last_at"), F.col("_amount").alias("last_amount"),
            F.concat("accounts", F.array("_source")).alias("accounts"), F.concat("transaction_ids", F.array("_transaction")).alias("transaction_ids"),
            "first_amount",
        )
        closed = step.where(F.col("last") == F.col("start"))
        if length >= thresholds.cycle_min_length:
            found.append(closed)
        # Open paths go on only through accounts not yet on them (a simple cycle visits each account once).
        paths = step.where((F.col("last") != F.col("start")) & ~F.array_contains("accounts", F.col("last")))
    smallest = F.array_min("accounts")
    return reduce(DataFrame.unionByName, found).select(*_alert(
        "cycle", smallest, F.col("first_at"), F.col("last_at"), F.col("last_amount") / F.col("first_amount"),
        F.col("transaction_ids"), F.array_remove(F.col("accounts"), smallest),
    ))


def rapid_pass_through(transactions: DataFrame, thresholds: Thresholds = DEFAULT) -> DataFrame:
    incoming = transactions.where(F.col("amount") >= thresholds.pass_through_amount).select(
        F.col("to_account").alias("account"), F.col("from_account").alias("payer"), F.col("transaction_id").alias("in_id"),
        F.col("booked_at").alias("in_at"), F.col("amount").alias("in_amount"),
    )
    outgoing = transactions.select(
        F.col("from_account").alias("_account"), F.col("to_account").alias("payee"), F.col("transaction_id").alias("out_id"),
        F.col("booked_at").alias("out_at"), F.col("amount").alias("out_amount"),
    )
    matched = incoming.join(
        outgoing,
        (F.col("account") == F.col("_account")) & (F.col("out_at") > F.col("in_at"))
        & (_seconds("out_at") - _seconds("in_at") <= thresholds.pass_through_hours * 3600)
        & (F.col("out_amount") >= F.col("in_amount") * thresholds.pass_through_share) & (F.col("out_amount") <= F.col("in_amount")),
    )
    # One alert per incoming payment: the first payment that sends it on.
    first_out = matched.groupBy("account", "payer", "in_id", "in_at", "in_amount").agg(
        F.min_by(F.struct("out_at", "out_id", "out_amount", "payee"), F.struct("out_at", "out_id")).alias("out")
    )
    return first_out.select(*_alert(
        "rapid_pass_through", F.col("account"), F.col("in_at"), F.col("out.out_at"), F.col("out.out_amount") / F.col("in_amount"),
        F.array("in_id", "out.out_id"), F.array("payer", "out.payee"),
    ))


def high_risk_jurisdiction(transactions: DataFrame, thresholds: Thresholds = DEFAULT) -> DataFrame:
    risky = transactions.where(F.col("counterparty_country").isin(*thresholds.high_risk_countries))
    return risky.select(*_alert(
        "high_risk_jurisdiction", F.col("from_account"), F.col("booked_at"), F.col("booked_at"), F.lit(1.0),
        F.array("transaction_id"), F.array("to_account"),
    ))


RULES = {
    "structuring": structuring, "fan_in": fan_in, "fan_out": fan_out, "cycle": cycles,
    "rapid_pass_through": rapid_pass_through, "high_risk_jurisdiction": high_risk_jurisdiction,
}


def aml_alerts(transactions: DataFrame, thresholds: Thresholds = DEFAULT) -> DataFrame:
    """Every rule's alerts, one table."""
    return reduce(DataFrame.unionByName, (rule(transactions, thresholds) for rule in RULES.values()))
