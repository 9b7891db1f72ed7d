"""Synthetic accounts and KYC records, some of them held by people whose names are variants of sanctioned names.

The KYC extract a bank's customer system writes: ``account_id, customer_name, date_of_birth,
national_id, phone, address, country, opening_date, customer_type``. Every person is synthetic
(``jobs/synthetic/people.py``); the identifiers cannot be real ones: national ids start with 9 (a range
no US social security number uses), phone numbers are in the 555-01xx block reserved for fiction,
addresses are on made-up streets. A share of the individuals carry a spelling variant of an individual on
the sanctions list (name order turned round, a transliteration variant, a particle or a given name left
out), recorded as ground truth, so screening can be measured on names it has never seen.

A record is a function of the seed and the account alone, so an account delivered on several days is the
same record each time. ``write_range`` (``citylake generate bank_accounts``) writes, for each day, the
records of every account in that day's payments extract of the same seed and size (what a bank's daily
KYC refresh of its active accounts exports), with defects in the share asked for: ``account_id_missing``,
``name_missing``, ``date_of_birth_unparseable``, ``date_of_birth_in_future``, ``customer_type_unknown``,
``duplicate_id_other_content`` and ``duplicate_identical``. The individuals named after listed people
are drawn from the OFAC sample the demo delivers as its sanctions list (``tests/data/ofac_sdn``).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path

from jobs.finance import account_columns as raw
from jobs.settings import PROJECT_ROOT
from jobs.synthetic import csv_text, days, deliver_range, delivery_file
from jobs.synthetic import payments
from jobs.synthetic.people import person_name

COLUMNS = raw.COLUMNS
FILE_NAME = "accounts_{day}.csv"
SHAPES = ("csv",)  # the customer system's one export
LIST_FOLDER = PROJECT_ROOT / "tests" / "data" / "ofac_sdn"  # the sanctions list the demo delivers
VARIANT_SHARE = 0.01
DEFECTS = (
    "account_id_missing", "name_missing", "date_of_birth_unparseable", "date_of_birth_in_future", "customer_type_unknown",
    "duplicate_id_other_content", "duplicate_identical",
)
STREETS = ("Juniper", "Quarry", "Lantern", "Orchard", "Millbrook", "Harbor View", "Cedar Hollow", "Fennel", "Brass Bell", "Kestrel")
BUSINESS_WORDS = ("Atlas", "Meridian", "Harbor", "Summit", "Bluewater", "Keystone", "Northwind", "Crescent", "Pioneer", "Silverline")
BUSINESS_KINDS = ("Trading", "Logistics", "Holdings", "Imports", "Consulting", "Foods", "Shipping", "Textiles")
BUSINESS_FORMS = ("LLC", "Inc.", "Ltd", "GmbH", "S.A.")
COUNTRIES = ("US",) * 12 + ("CA", "GB", "DE", "MX", "AE", "TR", "CY")
# Transliteration variants a bank's clerk or a passport might spell differently.
VARIANTS = (("ou", "u"), ("u", "ou"), ("ee", "i"), ("ai", "ay"), ("ay", "ai"), ("q", "k"), ("k", "q"), ("dh", "d"), ("mm", "m"), ("ss", "s"), ("y", "i"), ("ph", "f"))


@dataclass(frozen=True)
class SanctionedVariant:
    """Ground truth: this account's holder is named after that listed entry, spelt this way."""

    account_id: str
    entry: int  # ent_num
    listed_name: str
    customer_name: str
    change: str


def variant_of(listed: str, rng: random.Random) -> tuple[str, str]:
    """A spelling of a listed "SURNAME, Given names" as a customer record might hold it, and what changed."""
    surname, _, given = (part.strip() for part in listed.partition(","))
    words = f"{given} {surname}".split() if given else surname.split()
    change = rng.choice(("order", "transliteration", "drop_word", "particle"))
    if change == "transliteration":
        for old, new in rng.sample(VARIANTS, len(VARIANTS)):
            candidates = [index for index, word in enumerate(words) if old in word.lower()]
            if candidates:
                index = rng.choice(candidates)
                words[index] = re.sub(old, new, words[index], count=1, flags=re.IGNORECASE)
                break
        else:
            change = "order"
    elif change == "drop_word" and len(words) > 2:
        del words[rng.randrange(1, len(words) - 1)]  # a middle name left out
    elif change == "particle" and any(word.lower().startswith(("al-", "el-")) for word in words):
        words = [word[3:] if word.lower().startswith(("al-", "el-")) else word for word in words]
    else:
        change = "order"
    name = " ".join(word.capitalize() if word.isupper() else word for word in words)
    return name, change


def record(
    account: str, seed: int, listed_individuals: list[tuple[int, str]] = (), variant_share: float = VARIANT_SHARE, listed_birth_years: dict[int, list[int]] | None = None,
) -> tuple[dict, SanctionedVariant | None]:
    """The account's KYC record (the same for the same seed on every call) and, when its holder is named
    after a listed individual, the ground truth of that (born in a year the list gives for the entry, when
    ``listed_birth_years`` has one: the listed person opening an account)."""
    rng = random.Random(f"accounts-{seed}-{account}")
    business = rng.random() < 0.15
    opening = date(2015, 1, 1) + timedelta(days=rng.randrange(3_000))
    variant = None
    if business:
        name = f"{rng.choice(BUSINESS_WORDS)} {rng.choice(BUSINESS_KINDS)} {rng.choice(BUSINESS_FORMS)}"
        birth = ""
    else:
        name = person_name(rng)
        birth = (date(1940, 1, 1) + timedelta(days=rng.randrange(22_000))).isoformat()
        if listed_individuals and rng.random() < variant_share:
            entry, listed = rng.choice(listed_individuals)
            name, change = variant_of(listed, rng)
            variant = SanctionedVariant(account, entry, listed, name, change)
            years = (listed_birth_years or {}).get(entry)
            if years:
                birth = date(rng.choice(years), rng.randint(1, 12), rng.randint(1, 28)).isoformat()
    row = {
        "account_id": account, "customer_name": name, "date_of_birth": birth,
        "national_id": f"9{rng.randrange(10**8):08d}", "phone": f"+1-212-555-01{rng.randrange(100):02d}",
        "address": f"{rng.randrange(1, 999)} {rng.choice(STREETS)} St, Springfield", "country": rng.choice(COUNTRIES),
        "opening_date": opening.isoformat(), "customer_type": "business" if business else "individual",
    }
    return row, variant


def generate(
    account_ids: list[str], seed: int, listed_individuals: list[tuple[int, str]] = (), variant_share: float = VARIANT_SHARE, listed_birth_years: dict[int, list[int]] | None = None,
) -> tuple[list[dict], list[SanctionedVariant]]:
    """One KYC row per account id; ``variant_share`` of the individuals named after a listed individual."""
    made = [record(account, seed, listed_individuals, variant_share, listed_birth_years) for account in account_ids]
    return [row for row, _ in made], [variant for _, variant in made if variant]


@cache
def _listed_individual_entries(folder: Path) -> list[dict]:
    """The individuals' entries of the list in ``folder``, read once per process."""
    from jobs.finance.ofac import read_list

    return [entry for entry in read_list(folder).entries if entry["sdn_type"] == "individual"]


def listed_individuals(folder: Path = LIST_FOLDER) -> list[tuple[int, str]]:
    """(ent_num, name) of every individual on the list in ``folder``."""
    return [(entry["ent_num"], entry["sdn_name"]) for entry in _listed_individual_entries(folder)]


def listed_birth_years(folder: Path = LIST_FOLDER) -> dict[int, list[int]]:
    """ent_num -> the birth years the list in ``folder`` gives its individuals."""
    from jobs.finance.ofac import birth_years

    return {entry["ent_num"]: birth_years(entry["remarks"]) for entry in _listed_individual_entries(folder)}


def _add_defects(rows: list[dict], rng: random.Random, share: float) -> list[tuple[str, str]]:
    """Turn ``share`` of the rows into defects, each kind equally; returns (account id as delivered first, defect)."""
    per_kind = int(len(rows) * share / len(DEFECTS))
    if per_kind == 0:
        return []
    chosen = rng.sample(range(len(rows)), min(len(rows), per_kind * len(DEFECTS)))
    defects = []
    for position, index in enumerate(chosen):
        kind, row = DEFECTS[position % len(DEFECTS)], rows[index]
        account = row["account_id"]
        if kind == "account_id_missing":
            row["account_id"] = ""
        elif kind == "name_missing":
            row["customer_name"] = " "
        elif kind == "date_of_birth_unparseable":
            row["date_of_birth"] = "31/02/1980"
        elif kind == "date_of_birth_in_future":
            row["date_of_birth"] = "2090-01-01"
        elif kind == "customer_type_unknown":
            row["customer_type"] = "trust"
        elif kind == "duplicate_id_other_content":
            rows.append({**row, "phone": "+1-212-555-0100" if row["phone"] != "+1-212-555-0100" else "+1-212-555-0101"})
        elif kind == "duplicate_identical":
            rows.append(dict(row))
        defects.append((account, kind))
    return defects


def generate_day(day: date, rows: int, seed: int, defect_share: float = 0.02) -> tuple[list[dict], list[SanctionedVariant], list[tuple[str, str]]]:
    """The records of every account in the day's payments extract (same seed and size): (rows, variants, defects)."""
    transactions, _, _ = payments.generate_day(day, rows, seed, defect_share)
    accounts = sorted({row[name] for row in transactions for name in ("from_account", "to_account")})
    records, variants = generate(accounts, seed, listed_individuals(), VARIANT_SHARE, listed_birth_years())
    rng = random.Random(f"accounts-defects-{seed}-{day.isoformat()}")
    defects = _add_defects(records, rng, defect_share)
    rng.shuffle(records)
    return records, variants, defects


def to_csv(rows: list[dict]) -> str:
    return csv_text(rows, COLUMNS)


def write_day(folder: Path, day: date, rows: int, seed: int, defect_share: float = 0.02) -> Path:
    generated, _, _ = generate_day(day, rows, seed, defect_share)
    name = FILE_NAME.format(day=day.isoformat())
    with delivery_file(folder, name) as partial:
        partial.write_text(to_csv(generated), encoding="utf-8")
    return folder / name


def write_range(inbox: Path, first: date, last: date, rows: int = 2_000, seed: int = 2024, defect_share: float = 0.02, shape: str = "csv") -> list[Path]:
    """KYC extracts for every day from ``first`` to ``last``; every fourth day re-delivers the day before."""
    if shape not in SHAPES:
        raise ValueError(f"KYC extracts come in one shape, {SHAPES}, not {shape!r}")
    return deliver_range(inbox, raw.SOURCE, days(first, last), lambda day: write_day(inbox / raw.SOURCE / day.isoformat(), day, rows, seed, defect_share), bool(defect_share))
