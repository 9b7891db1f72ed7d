"""The AML rules measured: detection on the generator's ground truth and on IBM AMLSim's sample, and their cost.

    .venv/bin/python bench/aml_detection.py [--days 7] [--rows 20000] [--cost-rows 100000,1000000]

All in one run, on a fresh engine (``infra/spark_connect.sh``, local[2]):

1. **Generator** (``jobs/synthetic/payments.py``): ``--days`` days of ``--rows`` payments with every typology
   and look-alike embedded. Per typology: the share of its instances with an alert of its rule on one of the
   instance's accounts (recall), and how many look-alike instances raised any alert. Then account level: the
   accounts alerts name (their subject) against the laundering accounts.
2. **AMLSim** (``tests/data/amlsim_20k``, read by ``jobs/finance/aml.py``'s rules through
   ``jobs/finance/amlsim.py``): flagged accounts against ``isFraud``, recall and precision, per rule and for
   all rules together, with the bank profile (``aml.DEFAULT``) and AMLSim's own profile (``aml.AMLSIM``); then
   the AMLSim profile's variants, all rules together, to show where its choices sit on recall against precision:
   ``network`` from 3, 4 or 5 accounts (either way or paid alike), with the cycle rule, without ``network``.
3. **Cost**: the gold transform (``jobs/finance/payments.py:aml_alerts``, every rule) over generated silver
   of each size in ``--cost-rows`` (a week of payments), computed and discarded (``noop``), each size timed
   side by side in this run; the ratio of the largest to the smallest against the issue's target (10M at
   most 12x 1M).

Payments reach the rules as silver holds them (typed, split by the row rules, in US dollars); accounts stay
in clear in this scratch lake (pseudonyms change no count). Needs `make setup`.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import sys
import time
from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
os.environ.setdefault("CITYLAKE_PSEUDONYM_KEY", secrets.token_hex(32))

from pyspark.sql import functions as F  # noqa: E402

from bench.engine import engine, scratch_lake  # noqa: E402
from jobs.declarations import KEY_VERSION_COLUMN  # noqa: E402
from jobs.finance import aml, amlsim, payments  # noqa: E402
from jobs.finance import payment_columns as raw  # noqa: E402
from jobs.settings import load_settings  # noqa: E402
from jobs.spark_config import build_session  # noqa: E402
from jobs.synthetic import csv_text  # noqa: E402
from jobs.synthetic import payments as generator  # noqa: E402

FIRST_DAY = date(2022, 5, 2)
AMLSIM = PROJECT / "tests" / "data" / "amlsim_20k"
COST_TARGET = 12.0  # 10M at most 12x 1M


def silver_from_csv(spark, folder: Path, scratch_table: str) -> "DataFrame":  # noqa: F821
    """The CSV extracts of ``folder`` through the source's typed rows, row rules and silver transform, written to
    a scratch Delta table and read back (so every measure reads stored silver, as the job does)."""
    delivered = spark.read.option("header", True).option("escape", '"').csv(str(folder))
    bronze = delivered.select(
        *[F.col(name) for name in raw.COLUMNS], F.lit(None).cast("string").alias("_corrupt_record"), F.lit("bench.csv").alias("_source_file"),
        F.lit("bench").alias("_batch_id"), F.current_timestamp().alias("_ingested_at"), F.lit(FIRST_DAY).alias("_logical_date"),
    )
    published, _ = payments.split_by_row_rules(payments.typed_payments(bronze, raw.COLUMNS))
    silver = payments.payment_transactions(published).withColumn(KEY_VERSION_COLUMN, F.lit(1))
    silver.write.format("delta").mode("overwrite").save(scratch_table)
    return spark.read.format("delta").load(scratch_table)


def write_days(folder: Path, days: list[date], rows: int, seed: int) -> list:
    folder.mkdir(parents=True, exist_ok=True)
    labels = []
    for day in days:
        generated, day_labels, _ = generator.generate_day(day, rows, seed, defect_share=0.0)
        (folder / f"payments_{day}.csv").write_text(csv_text(generated, raw.COLUMNS), encoding="utf-8")
        labels += day_labels
    return labels


def generator_detection(spark, scratch: Path, days: int, rows: int) -> None:
    period = [FIRST_DAY + timedelta(days=offset) for offset in range(days)]
    labels = write_days(scratch / "generated", period, rows, seed=7)
    silver = silver_from_csv(spark, scratch / "generated", str(scratch / "silver_generated"))
    # Payments are booked in New York time: a day's evening is the next UTC day, where its alerts start.
    alerts = payments.aml_alerts(silver, period[0], period[-1] + timedelta(days=1)).select("rule_id", "account").collect()
    by_rule = defaultdict(set)
    for alert in alerts:
        by_rule[alert.rule_id].add(alert.account)
    flagged = {alert.account for alert in alerts}
    instances = {}
    for label in labels:
        instances.setdefault(label.instance, label)
    print(f"\n1. Generator: {days} days x {rows:,} payments ({silver.count():,} in silver), {len(alerts):,} alerts")
    print(f"{'typology':<26}{'instances':>10}{'found by its rule':>19}{'recall':>8}")
    laundering = set()
    for pattern in generator.TYPOLOGIES:
        mine = [label for label in instances.values() if label.pattern == pattern]
        found = sum(1 for label in mine if set(label.accounts) & by_rule[pattern])
        laundering |= {account for label in mine for account in label.accounts}
        print(f"{pattern:<26}{len(mine):>10}{found:>19}{found / len(mine):>8.3f}")
    for pattern in generator.LOOK_ALIKES:
        mine = [label for label in instances.values() if label.pattern == pattern]
        alerted = sum(1 for label in mine if set(label.accounts) & flagged)
        print(f"{pattern + ' (look-alike)':<26}{len(mine):>10}{'alerted: ' + str(alerted):>19}")
    true = flagged & laundering
    print(f"accounts flagged: {len(flagged):,}; of them laundering accounts: {len(true):,} (precision {len(true) / max(1, len(flagged)):.3f});"
          f" laundering accounts {len(laundering):,}, flagged {len(true) / len(laundering):.3f} (each alert flags its subject only:"
          " a cycle's other members and a scatter-gather's intermediaries are its counterparties)")


def amlsim_detection(spark, scratch: Path) -> None:
    sample = amlsim.read(AMLSIM)
    amlsim.write_extracts(scratch / "amlsim", sample)
    silver = silver_from_csv(spark, scratch / "amlsim" / raw.SOURCE / "*", str(scratch / "silver_amlsim"))
    first, last = min(sample.days), max(sample.days)
    fraud = sample.laundering_accounts
    print(f"\n2. AMLSim: {len(sample.accounts):,} accounts, {len(fraud):,} laundering (isFraud), {silver.count():,} transfers in silver, days {first}..{last}")
    print(f"{'profile':<20}{'rule':<24}{'alerts':>8}{'flagged':>9}{'recall':>8}{'precision':>10}   (flagged: subject and counterparties)")
    for profile, thresholds in (("bank", aml.DEFAULT), ("amlsim", aml.AMLSIM)):
        alerts = payments.aml_alerts(silver, first, last, thresholds).select("rule_id", "account", "counterparties").collect()
        print_detection(profile, alerts, fraud, [*aml.RULES, "all rules"])
    # The profile's neighbours, all rules together: where its choices sit on recall against precision.
    variants = [(f"network from {count}", replace(aml.AMLSIM, network_count=count, network_paid_count=count)) for count in (3, 4, 5)]
    variants += [("with cycle", replace(aml.AMLSIM, rules=("cycle", *aml.AMLSIM.rules))), ("no network", replace(aml.AMLSIM, rules=aml.AMLSIM.rules[:-1]))]
    print("AMLSim profile's variants (all rules):")
    for name, thresholds in variants:
        alerts = payments.aml_alerts(silver, first, last, thresholds).select("rule_id", "account", "counterparties").collect()
        print_detection(name, alerts, fraud, ["all rules"])


def print_detection(profile: str, alerts: list, fraud: frozenset, rows: list[str]) -> None:
    """One line per rule of ``rows``: its alerts, the accounts they flag (subject and counterparties), recall, precision."""
    per_rule = defaultdict(set)
    counts = defaultdict(int)
    for alert in alerts:
        per_rule[alert.rule_id] |= {alert.account, *alert.counterparties}
        counts[alert.rule_id] += 1
    per_rule["all rules"] = set().union(*per_rule.values()) if per_rule else set()
    counts["all rules"] = len(alerts)
    for rule in rows:
        flagged = per_rule.get(rule, set())
        true = len(flagged & fraud)
        precision = f"{true / len(flagged):.3f}" if flagged else "-"
        print(f"{profile:<20}{rule:<24}{counts.get(rule, 0):>8}{len(flagged):>9}{true / len(fraud):>8.3f}{precision:>10}")


def cost(spark, scratch: Path, sizes: list[int]) -> None:
    print(f"\n3. Cost: every rule over a week of silver, computed and discarded; sizes {sizes}")
    period = [FIRST_DAY + timedelta(days=offset) for offset in range(7)]
    seconds = {}
    for size in sizes:
        folder = scratch / f"cost_{size}"
        write_days(folder, period, size // len(period), seed=3)
        silver = silver_from_csv(spark, folder, str(scratch / f"silver_cost_{size}"))
        started = time.perf_counter()
        payments.aml_alerts(silver, period[0], period[-1]).write.format("noop").mode("overwrite").save()
        seconds[size] = time.perf_counter() - started
        print(f"{silver.count():>12,} payments: {seconds[size]:8.1f} s")
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        print(f"{large:,} / {small:,}: {seconds[large] / seconds[small]:.2f}x time for {large / small:.0f}x payments"
              + (f" (target: 10M at most {COST_TARGET:.0f}x 1M)" if (small, large) == (1_000_000, 10_000_000) else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--rows", type=int, default=20_000, help="generated payments a day")
    parser.add_argument("--cost-rows", default="100000,1000000", help="comma-separated sizes for the cost measure")
    parser.add_argument("--skip", default="", help="comma-separated parts to skip: generator, amlsim, cost")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    skip = set(filter(None, args.skip.split(",")))
    with scratch_lake("aml") as scratch:
        with engine(scratch / "state", memory="4g", CITYLAKE_SHUFFLE_PARTITIONS="4"):
            spark = build_session(load_settings(), "citylake-bench-aml")
            try:
                if "generator" not in skip:
                    generator_detection(spark, scratch, args.days, args.rows)
                if "amlsim" not in skip:
                    amlsim_detection(spark, scratch)
                if "cost" not in skip:
                    cost(spark, scratch, [int(size) for size in args.cost_rows.split(",")])
            finally:
                spark.stop()


if __name__ == "__main__":
    main()
