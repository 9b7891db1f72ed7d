"""Gold ``account_risk_daily``: per account and day, one risk score from the AML alerts and the sanctions hits,
and the parts it is the sum of, so an investigator sees why an account ranks where it does.

The score (0 to 100) adds three capped parts, each a column (weights in ``Weights``, as configuration):

- ``alert_part``: ``per_rule`` points for each distinct AML rule that fired on the account that day (an alert
  counts on the day its window starts), at most ``alerts_cap``: two typologies at once weigh more than one;
- ``sanctions_part``: the account's own best sanctions hit score (the holder's name matches a listed name)
  times ``sanctions_weight``, on every day the account pays or is paid;
- ``counterparty_part``: ``per_counterparty_payment`` points for each payment that day to or from an account
  with a sanctions hit, at most ``counterparty_cap``: the counterparties' names are screened as accounts of
  the bank (the payments extract carries no names).

Only open hits count: a hit the birth year discounted (``gold.sanctions_hits.status``) raises no risk.

A row exists for every account and day with an alert, or with a payment when the account or its
counterparty has a hit. Pure DataFrame transforms: the product job (``jobs/finance/risk_job.py``) reads the
tables and rebuilds the whole table.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.declarations import KEY_VERSION_COLUMN


@dataclass(frozen=True)
class Weights:
    per_rule: float = 20.0
    alerts_cap: float = 40.0
    sanctions_weight: float = 40.0
    per_counterparty_payment: float = 10.0
    counterparty_cap: float = 20.0


DEFAULT = Weights()


def account_risk_daily(alerts: DataFrame, hits: DataFrame, payments: DataFrame, weights: Weights = DEFAULT) -> DataFrame:
    """Rows per (account, day): the inputs hold accounts as the same keyed pseudonyms, so they join on them."""
    alerted = alerts.groupBy("account", F.col("alert_date").alias("risk_date")).agg(
        F.count(F.lit(1)).alias("alerts"),
        F.array_sort(F.collect_set("rule_id")).alias("alert_rules"),
        F.max("score").alias("max_alert_score"),
        F.max(KEY_VERSION_COLUMN).alias("_alerts_key_version"),
    )
    best_hit = hits.where(F.col("status") == "open").groupBy("account").agg(
        F.max_by(F.struct("score", "ent_num"), F.struct("score", F.negative("ent_num"))).alias("_best"),
        F.max(KEY_VERSION_COLUMN).alias("_hits_key_version"),
    ).select("account", F.col("_best.score").alias("sanctions_score"), F.col("_best.ent_num").alias("sanctions_ent_num"), "_hits_key_version")
    # Each payment seen from both of its accounts: the account, the day, the other party.
    sides = payments.select(
        F.col("from_account").alias("account"), F.col("to_account").alias("counterparty"), F.col("booked_date").alias("risk_date"), "amount_reporting", KEY_VERSION_COLUMN
    ).unionByName(payments.select(
        F.col("to_account").alias("account"), F.col("from_account").alias("counterparty"), F.col("booked_date").alias("risk_date"), "amount_reporting", KEY_VERSION_COLUMN
    ))
    hit_accounts = F.broadcast(best_hit.select(F.col("account").alias("_hit_account")))
    touching = sides.join(hit_accounts, sides["counterparty"] == F.col("_hit_account"), "left").withColumn("_counterparty_hit", F.col("_hit_account").isNotNull())
    touching = touching.join(F.broadcast(best_hit.select(F.col("account").alias("_own"))), touching["account"] == F.col("_own"), "left")
    paid = touching.where(F.col("_counterparty_hit") | F.col("_own").isNotNull()).groupBy("account", "risk_date").agg(
        F.count(F.when(F.col("_counterparty_hit"), 1)).alias("hit_counterparty_payments"),
        F.coalesce(F.sum(F.when(F.col("_counterparty_hit"), F.col("amount_reporting"))), F.lit(0).cast("decimal(18,2)")).cast("decimal(18,2)").alias("hit_counterparty_amount"),
        F.max(KEY_VERSION_COLUMN).alias("_payments_key_version"),
    )
    days = alerted.join(paid, ["account", "risk_date"], "full").join(best_hit, "account", "left")
    rules = F.coalesce(F.size("alert_rules"), F.lit(0))
    parts = days.select(
        "account", "risk_date",
        F.coalesce("alerts", F.lit(0)).cast("bigint").alias("alerts"),
        F.coalesce("alert_rules", F.array().cast("array<string>")).alias("alert_rules"),
        "max_alert_score", "sanctions_score", "sanctions_ent_num",
        F.coalesce("hit_counterparty_payments", F.lit(0)).cast("bigint").alias("hit_counterparty_payments"),
        F.coalesce("hit_counterparty_amount", F.lit(0).cast("decimal(18,2)")).alias("hit_counterparty_amount"),
        F.least(F.lit(weights.alerts_cap), rules * weights.per_rule).cast("double").alias("alert_part"),
        F.coalesce(F.col("sanctions_score") * weights.sanctions_weight, F.lit(0.0)).alias("sanctions_part"),
        F.least(F.lit(weights.counterparty_cap), F.coalesce("hit_counterparty_payments", F.lit(0)) * weights.per_counterparty_payment).cast("double").alias("counterparty_part"),
        F.greatest("_alerts_key_version", "_hits_key_version", "_payments_key_version").alias(KEY_VERSION_COLUMN),
    )
    return parts.select(
        "account", "risk_date", "alerts", "alert_rules", "max_alert_score", "sanctions_score", "sanctions_ent_num",
        "hit_counterparty_payments", "hit_counterparty_amount", "alert_part", "sanctions_part", "counterparty_part",
        F.round(F.col("alert_part") + F.col("sanctions_part") + F.col("counterparty_part"), 2).alias("risk_score"),
        F.lit(json.dumps(dataclasses.asdict(weights), sort_keys=True)).alias("weights"),
        KEY_VERSION_COLUMN,
    )
