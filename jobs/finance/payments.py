"""Payments as pure DataFrame transforms: bronze -> typed -> (published, quarantined) -> silver -> gold alerts.

Every function takes and returns DataFrames and touches no storage, so unit tests call them directly.
Silver holds each payment once, at its instant in UTC, converted into the reporting currency at the
rate of its day (``jobs/finance/fx.py``); the account numbers become keyed pseudonyms on the way in
(the platform does that, from the declaration). Gold ``aml_alerts`` is ``jobs/finance/aml.py``'s rules
over silver, per day an alert's window starts.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date, timedelta
from functools import reduce

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from jobs import row_rules
from jobs.declarations import KEY_VERSION_COLUMN
from jobs.delivered import blank_to_null, pick
from jobs.finance import aml, fx
from jobs.finance import payment_columns as raw

AMOUNT = "decimal(18,2)"
# ISO 8601 ends in its zone: Z or an offset (+hh:mm, +hhmm, +hh).
ZONE_AT_END = r"(Z|[+-][0-9]{2}(:?[0-9]{2})?)$"

ROW_RULES = {
    "malformed_row": "the CSV row does not have the header's shape (kept whole in raw_record)",
    "transaction_id_missing": "transaction_id is empty",
    "duplicate_id_other_content": "the file holds this transaction_id more than once with different contents: which one is true is unknown, so none is published",
    "account_missing": "from_account or to_account is empty",
    "timestamp_unparseable": "timestamp is missing or not ISO 8601",
    "timestamp_without_zone": "timestamp has no zone offset (Z or +hh:mm): the instant it names is unknown",
    "amount_non_numeric": "amount is missing or not a number",
    "amount_not_positive": "amount is zero or negative: a payment moves a positive sum from one account to another",
    "currency_unknown": f"currency has no rate into {fx.REPORTING_CURRENCY} for the payment's day (jobs/reference/fx_rates.csv)",
    "self_transfer": "from_account and to_account are the same account",
    "duplicate_identical_in_file": "the file holds this exact payment more than once; one copy is published",
}


def typed_payments(bronze_batch: DataFrame, delivered_columns: tuple[str, ...] | None = None) -> DataFrame:
    """The delivered strings typed, with the day's rate into the reporting currency (NULL when there is none)."""

    def delivered(name: str) -> Column:
        return blank_to_null(pick(bronze_batch, name))

    fields = {name: delivered(name) for name in raw.COLUMNS}
    timestamp = fields["timestamp"]
    metadata_columns = [name for name in bronze_batch.columns if name.startswith("_")]
    typed = bronze_batch.select(
        *metadata_columns,
        row_rules.raw_record(bronze_batch, delivered_columns).alias("_raw_record"),
        fields["transaction_id"].alias("transaction_id"),
        timestamp.try_cast("timestamp").alias("booked_at"),
        (timestamp.isNotNull() & ~timestamp.rlike(ZONE_AT_END)).alias("_without_zone"),
        fields["from_account"].alias("from_account"),
        fields["to_account"].alias("to_account"),
        fields["amount"].try_cast(AMOUNT).alias("amount"),
        F.upper(fields["currency"]).alias("currency"),
        F.lower(fields["channel"]).alias("channel"),
        F.upper(fields["counterparty_country"]).alias("counterparty_country"),
        fields["merchant_category"].alias("merchant_category"),
        # What a payment says besides its id: two rows of one id that differ here conflict.
        F.sha2(F.to_json(F.struct(*[fields[name].alias(name) for name in raw.COLUMNS if name != "transaction_id"]), {"ignoreNullFields": "false"}), 256).alias("_content"),
    ).withColumn("booked_date", F.to_date("booked_at"))  # the session's time zone is UTC
    rates = F.broadcast(fx.rates_frame(bronze_batch.sparkSession).withColumnRenamed("currency", "_rate_currency"))
    on_its_day = (F.col("currency") == F.col("_rate_currency")) & (F.col("booked_date") >= F.col("valid_from")) & (F.col("booked_date") < F.col("valid_to"))
    return typed.join(rates, on_its_day, "left").drop("_rate_currency", "valid_from", "valid_to")


def _broken_rule() -> Column:
    contents = F.size(F.collect_set("_content").over(Window.partitionBy("transaction_id")))
    return (
        F.when(F.col("_corrupt_record").isNotNull(), F.lit("malformed_row"))
        .when(F.col("transaction_id").isNull(), F.lit("transaction_id_missing"))
        .when(contents > 1, F.lit("duplicate_id_other_content"))
        .when(F.col("from_account").isNull() | F.col("to_account").isNull(), F.lit("account_missing"))
        .when(F.col("booked_at").isNull(), F.lit("timestamp_unparseable"))
        .when(F.col("_without_zone"), F.lit("timestamp_without_zone"))
        .when(F.col("amount").isNull(), F.lit("amount_non_numeric"))
        .when(F.col("amount") <= 0, F.lit("amount_not_positive"))
        .when(F.col("usd_per_unit").isNull(), F.lit("currency_unknown"))
        .when(F.col("from_account") == F.col("to_account"), F.lit("self_transfer"))
    )


def split_by_row_rules(typed: DataFrame) -> tuple[DataFrame, DataFrame]:
    """``(published, quarantined)``: every row in exactly one; one copy of a payment delivered twice is published."""
    return row_rules.split_by_row_rules(
        typed, _broken_rule(), ROW_RULES, key="transaction_id", newest_first=[], duplicate_rule="duplicate_identical_in_file",
        record_key=F.col("transaction_id"), record_key_name="transaction_id",
    )


def payment_transactions(published: DataFrame) -> DataFrame:
    """Silver's columns (before the platform pseudonymises the accounts): both amounts, the rate and its version."""
    return published.select(
        "transaction_id", "booked_at", "booked_date", "from_account", "to_account", "amount", "currency",
        F.col("usd_per_unit").alias("fx_rate"),
        (F.col("amount") * F.col("usd_per_unit")).cast(AMOUNT).alias("amount_reporting"),
        "fx_rates_version", "channel", "counterparty_country", "merchant_category",
        F.col("_source_file").alias("source_file"), F.col("_batch_id").alias("batch_id"),
    )


# The burst and graph rules' windows are at most a day: an alert starting on a day depends on the payments of
# the day before (an earlier burst may cover it) to the day after (its window runs on). A sudden change weighs
# the account's history too (``aml.history_days``).
RULE_REACH = timedelta(days=1)


def alert_days_to_refresh(first: date, last: date, thresholds: aml.Thresholds | None = None) -> tuple[date, date]:
    """The days whose alerts change when payments of ``first``..``last`` change: the day before, and the days
    after as far as any rule's history reaches (days not delivered yet have no alerts to replace).
    ``thresholds``: the deployment's profile (``aml.profile()``) unless given."""
    thresholds = thresholds or aml.profile()
    reach_after = max(RULE_REACH, timedelta(days=max(aml.history_days(rule, thresholds) for rule in thresholds.rules)))
    return first - RULE_REACH, last + reach_after


def aml_alerts(silver: DataFrame, first: date, last: date, thresholds: aml.Thresholds | None = None) -> DataFrame:
    """Gold: the rules' alerts whose window starts from ``first`` to ``last`` (UTC days), each rule over silver
    as far back as it reaches; ``thresholds``: the deployment's profile (``aml.profile()``) unless given.

    ``alert_id`` is the rule and its evidence, hashed: the same payments give the same id on every run.
    """

    def payments_from(days_back: int) -> DataFrame:
        since = first - timedelta(days=days_back) - RULE_REACH
        around = silver.where(F.col("booked_date").between(F.lit(since), F.lit(last + 2 * RULE_REACH)))
        return around.select(
            "transaction_id", "booked_at", "from_account", "to_account", F.col("amount_reporting").cast("double").alias("amount"),
            "channel", "counterparty_country", "merchant_category",
        )

    thresholds = thresholds or aml.profile()
    found = [aml.RULES[rule](payments_from(aml.history_days(rule, thresholds)), thresholds) for rule in thresholds.rules]
    alerts = reduce(DataFrame.unionByName, found).where(F.to_date("window_start").between(F.lit(first), F.lit(last)))
    key_version = silver.where(F.col("booked_date").between(F.lit(first - RULE_REACH), F.lit(last + RULE_REACH))).agg(
        F.max(KEY_VERSION_COLUMN).alias(KEY_VERSION_COLUMN)
    )
    return alerts.crossJoin(key_version).select(
        F.sha2(F.concat_ws("|", "rule_id", F.array_join("transaction_ids", ",")), 256).substr(1, 32).alias("alert_id"),
        F.to_date("window_start").alias("alert_date"),
        "rule_id", "account", "window_start", "window_end", "score", "transaction_ids", "counterparties",
        F.lit(json.dumps(dataclasses.asdict(thresholds), sort_keys=True)).alias("thresholds"),
        "status", KEY_VERSION_COLUMN,
    )
