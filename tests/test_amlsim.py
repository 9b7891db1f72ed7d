"""IBM AMLSim's sample read as the bank's payments extracts (no Spark): every transfer once, on its step's day."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from datetime import date

from jobs.finance import amlsim
from jobs.finance import payment_columns as raw
from jobs.settings import PROJECT_ROOT

SAMPLE = PROJECT_ROOT / "tests" / "data" / "amlsim_20k"


def test_every_transfer_becomes_one_payment_on_its_steps_day_and_the_laundering_accounts_are_the_ground_truth(tmp_path):
    sample = amlsim.read(SAMPLE)
    rows = [row for day in sample.days.values() for row in day]
    assert len(rows) == 120_558 and len({row["transaction_id"] for row in rows}) == len(rows)
    assert (min(sample.days), max(sample.days), len(sample.days)) == (date(2022, 5, 2), date(2022, 9, 27), 149)
    assert len(sample.accounts) == 20_000 and len(sample.laundering_accounts) == 1_804
    # Step 1 is the first day, all at noon UTC: no order is read into a step.
    assert {row["timestamp"] for row in sample.days[date(2022, 5, 2)]} == {"2022-05-02T12:00:00+00:00"}

    written = amlsim.write_extracts(tmp_path, sample)
    assert len(written) == len(sample.days)
    with open(written[0], newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        assert raw.REQUIRED_COLUMNS.missing(reader.fieldnames) == [] and tuple(reader.fieldnames) == raw.COLUMNS
        assert len(list(reader)) == len(sample.days[date(2022, 5, 2)])
    again = amlsim.write_extracts(tmp_path / "again", amlsim.read(SAMPLE))
    assert written[-1].read_bytes() == again[-1].read_bytes()


def test_the_command_line_delivers_the_first_steps_into_the_inbox_and_says_how_to_run_them(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "jobs.cli", "amlsim", "--days", "2"], cwd=PROJECT_ROOT,
        env={**os.environ, "CITYLAKE_INBOX_ROOT": str(tmp_path)}, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    delivered = sorted(tmp_path.glob(f"{raw.SOURCE}/*/*.csv"))
    assert [path.parent.name for path in delivered] == ["2022-05-02", "2022-05-03"]
    sample = amlsim.read(SAMPLE)
    assert sum(len(path.read_text(encoding="utf-8").splitlines()) - 1 for path in delivered) == (
        len(sample.days[date(2022, 5, 2)]) + len(sample.days[date(2022, 5, 3)])
    )
    assert "CITYLAKE_AML_PROFILE=amlsim in its environment" in result.stdout
    assert "citylake backfill payments_daily 2022-05-02 2022-05-03" in result.stdout
