"""The payments generator: deterministic, every typology and look-alike labelled, every defect present (no Spark)."""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from datetime import date, datetime

from jobs.synthetic import payments

DAY = date(2024, 3, 2)


def test_the_same_seed_gives_the_same_bytes_and_another_seed_other_ones(tmp_path):
    first, _ = payments.write_day(tmp_path / "a", DAY, 3000, seed=7)
    again, _ = payments.write_day(tmp_path / "b", DAY, 3000, seed=7)
    other, _ = payments.write_day(tmp_path / "c", DAY, 3000, seed=8)
    assert first.read_bytes() == again.read_bytes() != other.read_bytes()
    header = next(csv.reader(io.StringIO(first.read_text())))
    assert tuple(header) == payments.COLUMNS


def test_every_typology_and_look_alike_is_embedded_with_its_ground_truth():
    rows, labels, _ = payments.generate_day(DAY, 4000, seed=3, defect_share=0.0)
    by_id = {row["transaction_id"]: row for row in rows}
    instances = defaultdict(list)
    for label in labels:
        instances[(label.pattern, label.instance)].append(by_id[label.transaction_id])
    patterns = Counter(pattern for pattern, _ in instances)
    assert set(patterns) == set(payments.TYPOLOGIES) | set(payments.LOOK_ALIKES)
    assert all(count == 2 for count in patterns.values())  # 4,000 rows: two instances of each
    for (pattern, _), members in instances.items():
        amounts = [float(row["amount"]) for row in members]
        if pattern == "structuring":
            assert 3 <= len(members) <= 5 and all(9_000 <= amount < payments.REPORTING_THRESHOLD for amount in amounts)
            assert {row["channel"] for row in members} == {"cash"}
        if pattern == "cycle":
            sources, targets = Counter(row["from_account"] for row in members), Counter(row["to_account"] for row in members)
            assert sources == targets and 2 <= len(sources) <= 6  # every account pays once and is paid once
            times = sorted(datetime.fromisoformat(row["timestamp"]) for row in members)
            assert (times[-1] - times[0]).total_seconds() < 24 * 3600
        if pattern in ("fan_in", "merchant"):
            assert len({row["to_account"] for row in members}) == 1 and len({row["from_account"] for row in members}) >= 8
        if pattern in ("fan_out", "payroll"):
            assert len({row["from_account"] for row in members}) == 1 and len({row["to_account"] for row in members}) >= 8
        if pattern == "high_risk_jurisdiction":
            assert {row["counterparty_country"] for row in members} <= set(payments.HIGH_RISK)
    # Labelled accounts never appear in ordinary payments: the ground truth is exact.
    labelled_ids = {label.transaction_id for label in labels}
    special = {account for label in labels for account in label.accounts}
    ordinary = [row for row in rows if row["transaction_id"] not in labelled_ids]
    assert not special & ({row["from_account"] for row in ordinary} | {row["to_account"] for row in ordinary})


def test_each_defect_kind_is_in_the_extract():
    rows, _, defects = payments.generate_day(DAY, 4000, seed=3, defect_share=0.05)
    kinds = Counter(kind for _, kind in defects)
    assert set(kinds) == set(payments.DEFECTS) and len(set(kinds.values())) == 1
    ids = Counter(row["transaction_id"] for row in rows)
    duplicated = {transaction for transaction, count in ids.items() if count > 1}
    assert duplicated == {transaction for transaction, kind in defects if kind.startswith("duplicate")}
    assert any(len(row["timestamp"]) == 19 for row in rows)  # no zone offset
    assert any(row["from_account"] == row["to_account"] for row in rows)


def test_two_days_never_share_a_pattern_account():
    _, first, _ = payments.generate_day(DAY, 2000, seed=3)
    _, second, _ = payments.generate_day(date(2024, 3, 3), 2000, seed=3)
    assert not {a for label in first for a in label.accounts} & {a for label in second for a in label.accounts}
