"""Rates into the reporting currency (US dollars) from the versioned table ``jobs/reference/fx_rates.csv``.

A rate holds from its ``valid_from`` to the day before the currency's next row; the file carries one
``version`` that silver records beside every converted amount, so a conversion can be explained later.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources

from pyspark.sql import DataFrame, SparkSession

REPORTING_CURRENCY = "USD"
FILE = "fx_rates.csv"
OPEN_END = date(9999, 12, 31)


@dataclass(frozen=True)
class Rate:
    currency: str
    valid_from: date
    valid_to: date  # exclusive: the currency's next valid_from
    usd_per_unit: Decimal


@dataclass(frozen=True)
class RateTable:
    version: int
    rates: tuple[Rate, ...]


def parse(text: str) -> RateTable:
    """The file, checked: one version, ISO 4217 codes, positive rates, one row per currency and day."""
    versions, rows = set(), {}
    for line, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        try:
            currency, valid_from, rate = row["currency"].strip(), date.fromisoformat(row["valid_from"]), Decimal(row["usd_per_unit"])
            versions.add(int(row["version"]))
        except (KeyError, ValueError, InvalidOperation, TypeError) as error:
            raise ValueError(f"{FILE} line {line}: needs version, currency, valid_from (YYYY-MM-DD) and usd_per_unit: {row} ({error})") from None
        if len(currency) != 3 or not currency.isalpha() or not currency.isupper() or rate <= 0 or (currency, valid_from) in rows:
            raise ValueError(f"{FILE} line {line}: a three-letter ISO 4217 code, a positive rate, one row per currency and valid_from: {row}")
        rows[(currency, valid_from)] = rate
    if len(versions) != 1:
        raise ValueError(f"{FILE}: one version for the whole file, found {sorted(versions)}")
    rates = []
    for currency in sorted({currency for currency, _ in rows}):
        starts = sorted(start for code, start in rows if code == currency)
        for start, end in zip(starts, [*starts[1:], OPEN_END]):
            rates.append(Rate(currency, start, end, rows[(currency, start)]))
    return RateTable(versions.pop(), tuple(rates))


@lru_cache(maxsize=1)
def rate_table() -> RateTable:
    return parse(resources.files("jobs.reference").joinpath(FILE).read_text(encoding="utf-8"))


def rates_frame(spark: SparkSession, table: RateTable | None = None) -> DataFrame:
    """The rates as a small DataFrame (``currency, valid_from, valid_to, usd_per_unit, fx_rates_version``) to join on."""
    table = table or rate_table()
    return spark.createDataFrame(
        [(rate.currency, rate.valid_from, rate.valid_to, rate.usd_per_unit, table.version) for rate in table.rates],
        "currency string, valid_from date, valid_to date, usd_per_unit decimal(18,6), fx_rates_version int",
    )
