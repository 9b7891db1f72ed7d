"""IBM AMLSim's output as the bank's payments extracts, to measure the AML rules on data nobody here designed.

AMLSim (Apache-2.0) simulates accounts transferring money, some of them in laundering patterns;
``nodes.csv`` marks the laundering accounts (``isFraud``), ``transactions.csv`` holds
``sourceNodeId,targetNodeId,value,time``. A step of ``time`` is read as a day; the transfers of one step
have no order, so each is booked at the day's noon (UTC): rules must not read an order into them.
An account becomes ``AMLSIM`` and its node id; a transfer's id is ``AMLSIM`` and its row number, so the
same files always give the same extracts.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

from jobs.finance import payment_columns as raw
from jobs.synthetic import csv_text, delivery_file

FIRST_DAY = date(2022, 5, 2)  # step 1's day (the demo's payments period)
FILE_NAME = "amlsim_{day}.csv"


def account(node: str) -> str:
    return f"AMLSIM{int(node):08d}"


@dataclass(frozen=True)
class Sample:
    """The extracts by day and the ground truth: every laundering account."""

    days: dict[date, list[dict]]
    laundering_accounts: frozenset[str]
    accounts: frozenset[str]


def read(folder: Path, first_day: date = FIRST_DAY) -> Sample:
    """``nodes.csv`` and ``transactions.csv`` of ``folder`` as payments rows per day; refuses a row that does not fit."""
    with open(folder / "nodes.csv", newline="", encoding="utf-8") as file:
        nodes = list(csv.DictReader(file))
    laundering = frozenset(account(node["nodeid"]) for node in nodes if node["isFraud"] == "1")
    days: dict[date, list[dict]] = {}
    with open(folder / "transactions.csv", newline="", encoding="utf-8") as file:
        for line, row in enumerate(csv.DictReader(file), start=2):
            try:
                step, value = int(row["time"]), float(row["value"])
                source, target = account(row["sourceNodeId"]), account(row["targetNodeId"])
            except (KeyError, TypeError, ValueError) as error:
                raise ValueError(f"{folder / 'transactions.csv'} line {line}: not sourceNodeId,targetNodeId,value,time: {row} ({error})") from None
            day = first_day + timedelta(days=step - 1)
            days.setdefault(day, []).append({
                "transaction_id": f"AMLSIM{line - 1:09d}",
                "timestamp": datetime.combine(day, time(12), timezone.utc).isoformat(),
                "from_account": source, "to_account": target, "amount": f"{value:.2f}", "currency": "USD",
                "channel": "wire", "counterparty_country": "", "merchant_category": "",
            })
    return Sample(days, laundering, frozenset(account(node["nodeid"]) for node in nodes))


def write_extracts(inbox: Path, sample: Sample) -> list[Path]:
    """One payments extract a day into ``<inbox>/bank_payments/<day>/``, as the bank would deliver them."""
    written = []
    for day, rows in sorted(sample.days.items()):
        folder = inbox / raw.SOURCE / day.isoformat()
        name = FILE_NAME.format(day=day.isoformat())
        with delivery_file(folder, name) as partial:
            partial.write_text(csv_text(rows, raw.COLUMNS), encoding="utf-8")
        written.append(folder / name)
    return written
