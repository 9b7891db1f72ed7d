"""Synthetic daily extracts of a payments system, with laundering typologies and their ground truth.

One CSV a day, as a core banking system exports it: ``transaction_id, timestamp, from_account,
to_account, amount, currency, channel, counterparty_country, merchant_category``; timestamps carry
their zone offset (New York time, as the bank books them). Deterministic by seed at any size: the same
seed, day and size give the same bytes.

Most rows are ordinary payments (card purchases, mobile transfers, wires, cash). Embedded in them,
each instance labelled with its typology (FATF's names), the accounts and the transactions involved:

- ``structuring``: 3-5 cash payments of 9,000-9,990 within the day, just under a 10,000 reporting threshold;
- ``fan_in``: 8-15 accounts each paying one account within hours (a funnel account);
- ``fan_out``: one account paying 8-15 others within hours;
- ``cycle``: money going round 2-6 accounts and back to the first within hours, a few % lost per hop;
- ``rapid_pass_through``: a large incoming wire sent on, 90-98 % of it, within two hours;
- ``scatter_gather``: one account scatters to 4-8 intermediaries who each pass to one destination;
- ``high_risk_jurisdiction``: wires to or from a jurisdiction on FATF's call-for-action list.

And legitimate look-alikes, labelled ``legitimate`` with their kind, that a rule must not fire on:
``payroll`` (an employer paying 10-30 employees round salaries), ``merchant`` (a shop's fan-in of many
small card payments) and ``family_rent`` (rent one way, a smaller sum back days apart). Defects, in the
share asked for: ``unknown_currency``, ``negative_amount``, ``non_numeric_amount``, ``self_transfer``,
``timestamp_without_zone``, ``duplicate_id_other_content`` (an id reused for another payment) and
``duplicate_identical`` (a row delivered twice, which must be idempotent).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

from jobs.finance import payment_columns as raw
from jobs.synthetic import csv_text, days, deliver_range, delivery_file

COLUMNS = raw.COLUMNS
TYPOLOGIES = ("structuring", "fan_in", "fan_out", "cycle", "rapid_pass_through", "scatter_gather", "high_risk_jurisdiction")
LOOK_ALIKES = ("payroll", "merchant", "family_rent")
DEFECTS = (
    "unknown_currency", "negative_amount", "non_numeric_amount", "self_transfer", "timestamp_without_zone",
    "duplicate_id_other_content", "duplicate_identical",
)
REPORTING_THRESHOLD = 10_000
HIGH_RISK = ("KP", "IR", "MM")  # FATF's "call for action" list
ORDINARY_COUNTRIES = ("US",) * 17 + ("CA", "GB", "DE", "MX", "FR", "JP")
MERCHANT_CATEGORIES = ("5411", "5812", "5541", "5999", "4111", "5311", "5732", "7011")  # ISO 18245 codes
NEW_YORK = timezone(timedelta(hours=-5))  # EST; the extracts of the sample period are all in winter time
INSTANCES_PER_ROWS = 2_000  # one instance of each typology and look-alike per this many rows (at least one)
FILE_NAME = "payments_{day}.csv"
SHAPES = ("csv",)  # the bank's one export
SPECIAL_ACCOUNTS_PER_DAY = 1_000_000


@dataclass(frozen=True)
class Label:
    """Ground truth of one transaction that belongs to a typology or a look-alike."""

    transaction_id: str
    kind: str  # a typology, or "legitimate"
    pattern: str  # the typology again, or the look-alike's kind
    instance: str  # one instance: every transaction of one cycle or one fan-in shares it
    accounts: tuple[str, ...]  # the accounts the instance is about (the laundering accounts)


def account_id(number: int) -> str:
    return f"AC{number:010d}"


class _Day:
    """One day's rows and labels being built."""

    def __init__(self, day: date, seed: int, accounts: int):
        self.day = day
        self.rng = random.Random(f"payments-{seed}-{day.isoformat()}")
        self.accounts = accounts
        self.rows: list[dict] = []
        self.labels: list[Label] = []
        self.sequence = 0
        # Accounts of typologies and look-alikes come from a range of their own per day, so an ordinary
        # payment never lands in a pattern by chance, no pattern reuses another day's accounts, and the
        # ground truth stays exact.
        self.special = accounts + (day - date(2000, 1, 1)).days * SPECIAL_ACCOUNTS_PER_DAY

    def moment(self, earliest: float = 0.0, latest: float = 24.0) -> datetime:
        hours = self.rng.uniform(earliest, latest - 0.01)
        return datetime.combine(self.day, time(0), NEW_YORK) + timedelta(hours=hours)

    def ordinary_account(self) -> str:
        return account_id(self.rng.randrange(self.accounts))

    def new_account(self) -> str:
        self.special += 1
        return account_id(self.special)

    def pay(self, when: datetime, source: str, target: str, amount: float, channel: str, country: str = "US", category: str = "", currency: str = "USD") -> str:
        self.sequence += 1
        transaction = f"T{self.day:%Y%m%d}{self.sequence:07d}"
        self.rows.append({
            "transaction_id": transaction, "timestamp": when.isoformat(timespec="seconds"), "from_account": source, "to_account": target,
            "amount": f"{amount:.2f}", "currency": currency, "channel": channel, "counterparty_country": country, "merchant_category": category,
        })
        return transaction

    def label(self, transactions: list[str], pattern: str, accounts: tuple[str, ...]) -> None:
        kind = "legitimate" if pattern in LOOK_ALIKES else pattern
        instance = f"{pattern}-{self.day:%Y%m%d}-{len({label.instance for label in self.labels})}"
        self.labels += [Label(transaction, kind, pattern, instance, accounts) for transaction in transactions]


def _ordinary(day: _Day, count: int) -> None:
    rng = day.rng
    for _ in range(count):
        channel = rng.choices(("card", "mobile", "wire", "cash"), (50, 25, 10, 15))[0]
        amount = {"card": rng.lognormvariate(3.6, 0.9), "mobile": rng.lognormvariate(4.2, 0.8), "wire": rng.lognormvariate(7.0, 1.0), "cash": rng.lognormvariate(4.5, 0.8)}[channel]
        source, target = day.ordinary_account(), day.ordinary_account()
        while target == source:
            target = day.ordinary_account()
        currency = rng.choices(("USD", "EUR", "GBP"), (90, 6, 4))[0]
        day.pay(day.moment(), source, target, min(amount, 9_500.0), channel, rng.choice(ORDINARY_COUNTRIES), rng.choice(MERCHANT_CATEGORIES) if channel == "card" else "", currency)


def _structuring(day: _Day) -> None:
    rng, account = day.rng, day.new_account()
    beneficiary = day.new_account()
    ids = [day.pay(day.moment(8, 18), account, beneficiary, rng.uniform(9_000, 9_990), "cash") for _ in range(rng.randint(3, 5))]
    day.label(ids, "structuring", (account,))


def _fan(day: _Day, pattern: str) -> None:
    rng, hub = day.rng, day.new_account()
    start = rng.uniform(0, 18)
    others = [day.new_account() for _ in range(rng.randint(8, 15))]
    ids = [
        day.pay(day.moment(start, start + 5), other, hub, rng.uniform(500, 3_000), "mobile") if pattern == "fan_in"
        else day.pay(day.moment(start, start + 5), hub, other, rng.uniform(500, 3_000), "mobile")
        for other in others
    ]
    day.label(ids, pattern, (hub,))


def _cycle(day: _Day) -> None:
    rng = day.rng
    ring = [day.new_account() for _ in range(rng.randint(2, 6))]
    amount, when = rng.uniform(5_000, 50_000), day.moment(0, 14)
    ids = []
    for position, source in enumerate(ring):
        ids.append(day.pay(when, source, ring[(position + 1) % len(ring)], amount, "wire"))
        amount *= rng.uniform(0.95, 0.99)
        when += timedelta(minutes=rng.uniform(10, 90))
    day.label(ids, "cycle", tuple(ring))


def _rapid_pass_through(day: _Day) -> None:
    rng = day.rng
    origin, mule, destination = day.new_account(), day.new_account(), day.new_account()
    amount, when = rng.uniform(20_000, 200_000), day.moment(0, 20)
    first = day.pay(when, origin, mule, amount, "wire")
    second = day.pay(when + timedelta(minutes=rng.uniform(5, 110)), mule, destination, amount * rng.uniform(0.90, 0.98), "wire", rng.choice(ORDINARY_COUNTRIES))
    day.label([first, second], "rapid_pass_through", (mule,))


def _scatter_gather(day: _Day) -> None:
    rng = day.rng
    source, destination = day.new_account(), day.new_account()
    middle = [day.new_account() for _ in range(rng.randint(4, 8))]
    when, ids = day.moment(0, 12), []
    for account in middle:
        amount = rng.uniform(2_000, 9_000)
        ids.append(day.pay(when + timedelta(minutes=rng.uniform(0, 60)), source, account, amount, "mobile"))
        ids.append(day.pay(when + timedelta(hours=rng.uniform(2, 6)), account, destination, amount * rng.uniform(0.97, 1.0), "mobile"))
    day.label(ids, "scatter_gather", (source, *middle, destination))


def _high_risk(day: _Day) -> None:
    rng, account = day.rng, day.new_account()
    ids = [day.pay(day.moment(), account, day.new_account(), rng.uniform(3_000, 40_000), "wire", rng.choice(HIGH_RISK)) for _ in range(rng.randint(1, 3))]
    day.label(ids, "high_risk_jurisdiction", (account,))


def _payroll(day: _Day) -> None:
    rng, employer = day.rng, day.new_account()
    when = datetime.combine(day.day, time(9), NEW_YORK)
    ids = [day.pay(when + timedelta(seconds=index), employer, day.new_account(), float(rng.choice(range(2_000, 6_001, 250))), "wire", category="payroll") for index in range(rng.randint(10, 30))]
    day.label(ids, "payroll", (employer,))


def _merchant(day: _Day) -> None:
    rng, shop = day.rng, day.new_account()
    category = rng.choice(MERCHANT_CATEGORIES)
    ids = [day.pay(day.moment(8, 22), day.new_account(), shop, rng.lognormvariate(3.4, 0.7), "card", category=category) for _ in range(rng.randint(20, 50))]
    day.label(ids, "merchant", (shop,))


def _family_rent(day: _Day) -> None:
    rng = day.rng
    tenant, landlord = day.new_account(), day.new_account()
    rent = float(rng.choice(range(1_200, 3_001, 50)))
    ids = [day.pay(day.moment(8, 12), tenant, landlord, rent, "mobile"), day.pay(day.moment(18, 23), landlord, tenant, rent * rng.uniform(0.1, 0.4), "mobile")]
    day.label(ids, "family_rent", (tenant, landlord))


PATTERNS = {
    "structuring": _structuring, "fan_in": lambda day: _fan(day, "fan_in"), "fan_out": lambda day: _fan(day, "fan_out"),
    "cycle": _cycle, "rapid_pass_through": _rapid_pass_through, "scatter_gather": _scatter_gather, "high_risk_jurisdiction": _high_risk,
    "payroll": _payroll, "merchant": _merchant, "family_rent": _family_rent,
}


def _add_defects(day: _Day, share: float) -> list[tuple[str, str]]:
    """Turn ``share`` of the ordinary rows into defects, each kind equally; returns (transaction id, defect)."""
    rng = day.rng
    labelled = {label.transaction_id for label in day.labels}
    ordinary = [index for index, row in enumerate(day.rows) if row["transaction_id"] not in labelled]
    per_kind = int(len(day.rows) * share / len(DEFECTS))
    if per_kind == 0:
        return []
    chosen = rng.sample(ordinary, min(len(ordinary), per_kind * len(DEFECTS)))
    defects = []
    for position, index in enumerate(chosen):
        kind, row = DEFECTS[position % len(DEFECTS)], day.rows[index]
        if kind == "unknown_currency":
            row["currency"] = "XQZ"
        elif kind == "negative_amount":
            row["amount"] = f"-{row['amount']}"
        elif kind == "non_numeric_amount":
            row["amount"] = row["amount"].replace("0", "O", 1) if "0" in row["amount"] else row["amount"] + "x"
        elif kind == "self_transfer":
            row["to_account"] = row["from_account"]
        elif kind == "timestamp_without_zone":
            row["timestamp"] = row["timestamp"][:19]
        elif kind == "duplicate_id_other_content":
            other = rng.choice([candidate for candidate in ordinary[:50] if candidate != index])
            day.rows.append({**day.rows[other], "transaction_id": row["transaction_id"]})
        elif kind == "duplicate_identical":
            day.rows.append(dict(row))
        defects.append((row["transaction_id"], kind))
    return defects


def generate_day(day: date, rows: int, seed: int, defect_share: float = 0.02, accounts: int | None = None) -> tuple[list[dict], list[Label], list[tuple[str, str]]]:
    """About ``rows`` transactions of ``day``: (rows in delivery order, labels, defects)."""
    built = _Day(day, seed, accounts or max(200, rows // 5))
    instances = max(1, rows // INSTANCES_PER_ROWS)
    for pattern in PATTERNS.values():
        for _ in range(instances):
            pattern(built)
    _ordinary(built, max(0, rows - len(built.rows)))
    defects = _add_defects(built, defect_share)
    built.rng.shuffle(built.rows)
    return built.rows, built.labels, defects


def to_csv(rows: list[dict]) -> str:
    return csv_text(rows, COLUMNS)


def write_day(folder: Path, day: date, rows: int, seed: int, defect_share: float = 0.02) -> tuple[Path, list[Label]]:
    """The day's extract into ``folder`` (an inbox day folder); returns its path and the ground truth."""
    generated, labels, _ = generate_day(day, rows, seed, defect_share)
    name = FILE_NAME.format(day=day.isoformat())
    with delivery_file(folder, name) as partial:
        partial.write_text(to_csv(generated), encoding="utf-8")
    return folder / name, labels


def write_range(inbox: Path, first: date, last: date, rows: int = 2_000, seed: int = 2024, defect_share: float = 0.02, shape: str = "csv") -> list[Path]:
    """Extracts for every day from ``first`` to ``last`` (``citylake generate bank_payments``); every fourth day
    re-delivers the day before. One shape: the bank's CSV."""
    if shape not in SHAPES:
        raise ValueError(f"payments extracts come in one shape, {SHAPES}, not {shape!r}")
    return deliver_range(inbox, raw.SOURCE, days(first, last), lambda day: write_day(inbox / raw.SOURCE / day.isoformat(), day, rows, seed, defect_share)[0], bool(defect_share))
