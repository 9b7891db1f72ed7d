"""Synthetic consent registry deliveries: each day's consent events for subjects the inbox was delivered.

A day's events are about the social authors and bank account holders of that day's deliveries in the same
inbox (generate those first; a day with none gets events of subjects the lake has not met): most grant a purpose, a share withdraw one, so a demo shows withdrawn subjects
leaving silver and gold at the next runs. With defects: an unknown purpose, an unknown kind of subject, an
identifier of the wrong form, a day that does not parse, two statuses for one event.
"""

from __future__ import annotations

import csv
import json
import random
from datetime import date, timedelta
from pathlib import Path

from jobs.consent_registry import columns as raw
from jobs.synthetic import csv_text, deliver_range, delivery_file, days

SHAPES = ("csv",)
FILE_NAME = "consent_{day}.csv"
WITHDRAWN_SHARE = 0.2
# Where the day's subjects are found in the inbox: the deliveries that name them, and how.
_SOCIAL, _ACCOUNTS = "social_posts", "bank_accounts"


def _authors(folder: Path) -> list[str]:
    found = set()
    for path in sorted(folder.glob("*")) if folder.is_dir() else []:
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                author = record.get("author_id") or (record.get("user") or {}).get("idstr")
                if author and str(author).isdigit():
                    found.add(str(author))
    return sorted(found)


def _account_holders(folder: Path) -> list[str]:
    found = set()
    for path in sorted(folder.glob("*.csv")) if folder.is_dir() else []:
        with open(path, newline="", encoding="utf-8") as handle:
            found |= {row["account_id"] for row in csv.DictReader(handle) if (row.get("account_id") or "").startswith("AC")}
    return sorted(found)


def generate_day(inbox: Path, day: date, rows: int, seed: int, defect_share: float = 0.02) -> list[dict]:
    rng = random.Random(f"consent-{seed}-{day.isoformat()}")
    subjects = [("social_author", author) for author in _authors(inbox / _SOCIAL / day.isoformat())]
    subjects += [("account_holder", account) for account in _account_holders(inbox / _ACCOUNTS / day.isoformat())]
    if not subjects:  # nothing else delivered that day: subjects the lake has not met (their events change nothing)
        subjects = [("account_holder", f"AC9{rng.randrange(10**9):09d}") if number % 2 else ("social_author", str(rng.randrange(10**8, 10**10))) for number in range(rows)]
    purposes = {"social_author": "public_opinion", "account_holder": "financial_crime_detection"}
    events = []
    for kind, identifier in rng.sample(subjects, min(rows, len(subjects))):
        status = "withdrawn" if rng.random() < WITHDRAWN_SHARE else "granted"
        events.append({"subject_kind": kind, "subject_identifier": identifier, "purpose": purposes[kind], "status": status, "effective_from": day.isoformat()})
    defects = max(1, round(len(events) * defect_share)) if defect_share else 0
    some = events[0] if events else {"subject_kind": "account_holder", "subject_identifier": "AC0000000000", "purpose": "financial_crime_detection", "status": "granted", "effective_from": day.isoformat()}
    for number in range(defects):
        kind = ("purpose", "kind", "identifier", "day", "conflict")[number % 5]
        if kind == "purpose":
            events.append({**some, "purpose": "marketing"})  # no table serves it
        elif kind == "kind":
            events.append({**some, "subject_kind": "shoe_size"})
        elif kind == "identifier":
            events.append({**some, "subject_identifier": "not an id!"})
        elif kind == "day":
            events.append({**some, "effective_from": (day + timedelta(days=1)).strftime("%d/%m/%Y")})
        else:
            events.append({**some, "effective_from": (day - timedelta(days=1)).isoformat(), "status": "granted"})
            events.append({**some, "effective_from": (day - timedelta(days=1)).isoformat(), "status": "withdrawn"})
    return events


def write_day(inbox: Path, day: date, rows: int, seed: int, defect_share: float = 0.02) -> Path:
    folder = inbox / raw.SOURCE / day.isoformat()
    name = FILE_NAME.format(day=day.isoformat())
    with delivery_file(folder, name) as partial:
        partial.write_text(csv_text(generate_day(inbox, day, rows, seed, defect_share), raw.COLUMNS), encoding="utf-8")
    return folder / name


def write_range(inbox: Path, first: date, last: date, rows: int = 2_000, seed: int = 2024, defect_share: float = 0.02, shape: str = "csv") -> list[Path]:
    """Consent events for every day from ``first`` to ``last`` (``rows``: at most that many a day)."""
    if shape not in SHAPES:
        raise ValueError(f"consent registry deliveries come in one shape, {SHAPES}, not {shape!r}")
    return deliver_range(inbox, raw.SOURCE, days(first, last), lambda day: write_day(inbox, day, rows, seed, defect_share), False)
