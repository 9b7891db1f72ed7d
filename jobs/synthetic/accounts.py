"""Synthetic accounts and KYC records, some of them held by people whose names are variants of sanctioned names.

The KYC extract a bank's customer system writes: ``account_id, customer_name, date_of_birth,
national_id, phone, address, country, opening_date, customer_type``. Every person is synthetic
(``jobs/synthetic/people.py``); the identifiers cannot be real ones: national ids start with 9 (a range
no US social security number uses), phone numbers are in the 555-01xx block reserved for fiction,
addresses are on made-up streets. A share of the individuals carry a spelling variant of an individual on
the sanctions list (name order turned round, a transliteration variant, a particle or a given name left
out), recorded as ground truth, so screening can be measured on names it has never seen.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import date, timedelta

from jobs.synthetic import csv_text
from jobs.synthetic.people import person_name

COLUMNS = ("account_id", "customer_name", "date_of_birth", "national_id", "phone", "address", "country", "opening_date", "customer_type")
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


def generate(account_ids: list[str], seed: int, listed_individuals: list[tuple[int, str]] = (), variant_share: float = 0.01) -> tuple[list[dict], list[SanctionedVariant]]:
    """One KYC row per account id; ``variant_share`` of the individuals named after a listed individual."""
    rng = random.Random(f"accounts-{seed}")
    rows, variants = [], []
    for account in account_ids:
        business = rng.random() < 0.15
        opening = date(2015, 1, 1) + timedelta(days=rng.randrange(3_000))
        if business:
            name = f"{rng.choice(BUSINESS_WORDS)} {rng.choice(BUSINESS_KINDS)} {rng.choice(BUSINESS_FORMS)}"
            birth = ""
        else:
            name = person_name(rng)
            birth = (date(1940, 1, 1) + timedelta(days=rng.randrange(22_000))).isoformat()
            if listed_individuals and rng.random() < variant_share:
                entry, listed = rng.choice(listed_individuals)
                name, change = variant_of(listed, rng)
                variants.append(SanctionedVariant(account, entry, listed, name, change))
        rows.append({
            "account_id": account, "customer_name": name, "date_of_birth": birth,
            "national_id": f"9{rng.randrange(10**8):08d}", "phone": f"+1-212-555-01{rng.randrange(100):02d}",
            "address": f"{rng.randrange(1, 999)} {rng.choice(STREETS)} St, Springfield", "country": rng.choice(COUNTRIES),
            "opening_date": opening.isoformat(), "customer_type": "business" if business else "individual",
        })
    return rows, variants


def to_csv(rows: list[dict]) -> str:
    return csv_text(rows, COLUMNS)
