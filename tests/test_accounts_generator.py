"""The accounts (KYC) generator: deterministic, identifiers that cannot be real, sanctioned-name variants
that screening finds (no Spark)."""

from __future__ import annotations

from collections import Counter

from jobs.finance.ofac import read_list
from jobs.finance.screening import Screening
from jobs.settings import PROJECT_ROOT
from jobs.synthetic import accounts
from jobs.synthetic.payments import account_id

LIST = read_list(PROJECT_ROOT / "tests" / "data" / "ofac_sdn")
INDIVIDUALS = [(entry["ent_num"], entry["sdn_name"]) for entry in LIST.entries if entry["sdn_type"] == "individual"]
ACCOUNTS = [account_id(number) for number in range(3000)]


def test_the_same_seed_gives_the_same_records_and_identifiers_are_of_ranges_no_real_person_has():
    rows, variants = accounts.generate(ACCOUNTS, 5, INDIVIDUALS, 0.05)
    again, _ = accounts.generate(ACCOUNTS, 5, INDIVIDUALS, 0.05)
    assert accounts.to_csv(rows) == accounts.to_csv(again) != accounts.to_csv(accounts.generate(ACCOUNTS, 6, INDIVIDUALS, 0.05)[0])
    assert [row["account_id"] for row in rows] == ACCOUNTS
    assert all(row["national_id"].startswith("9") and len(row["national_id"]) == 9 for row in rows)
    assert all(row["phone"].startswith("+1-212-555-01") for row in rows)
    assert Counter(row["customer_type"] for row in rows).keys() == {"individual", "business"}
    assert all(row["date_of_birth"] == "" for row in rows if row["customer_type"] == "business")
    assert 100 <= len(variants) <= 200 and {variant.change for variant in variants} >= {"order", "transliteration", "drop_word"}


def test_screening_finds_the_listed_entry_behind_the_generated_variants():
    _, variants = accounts.generate(ACCOUNTS, 5, INDIVIDUALS, 0.05)
    index = Screening([(entry, name) for entry, name, _ in LIST.names()])
    found = sum(any(hit.entry == variant.entry for hit in index.screen(variant.customer_name)) for variant in variants)
    assert found / len(variants) >= 0.95
