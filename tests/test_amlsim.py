"""IBM AMLSim's sample read as the bank's payments extracts: every transfer once, on its step's day (no Spark);
then two of its days through the payments job with AMLSim's profile, as a backfill of them would run."""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import subprocess
import sys
from datetime import date

from jobs.finance import aml, amlsim
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


def test_two_of_its_days_run_through_the_payments_job_with_its_profile_and_every_transfer_is_accounted_for(spark, tmp_path, monkeypatch):
    from jobs import lake
    from jobs.finance import payments_job
    from tests import pipeline_runs
    from tests.conftest import make_settings, point_catalog_at

    monkeypatch.setenv(aml.PROFILE_VARIABLE, "amlsim")
    sample = amlsim.read(SAMPLE)
    # Steps 139 and 140: few transfers (608), and on the second an amount out of its account's character (the
    # sample's first steps hold too few transfers for any of its rules to fire).
    two_days = dataclasses.replace(sample, days={day: sample.days[day] for day in sorted(sample.days)[138:140]})
    settings = make_settings(tmp_path / "lake")
    point_catalog_at(spark, settings)
    for path in amlsim.write_extracts(tmp_path / "inbox", two_days):
        day = path.parent.name
        pipeline_runs.land_and_run(spark, settings, payments_job.SOURCE, "payments_daily", day, [path], f"amlsim-{day}")

    delivered = [row for rows in two_days.days.values() for row in rows]
    checks = lake.read_table(spark, settings, "audit", "reconciliation").toPandas()
    assert checks["balanced"].all() and checks["manifest_rows"].sum() == len(delivered)
    quarantined = lake.read_table(spark, settings, "quarantine", "payment_transactions").toPandas()
    self_transfers = sum(row["from_account"] == row["to_account"] for row in delivered)
    assert sorted(quarantined["rule_id"]) == ["self_transfer"] * self_transfers
    silver = lake.read_table(spark, settings, "silver", "payment_transactions")
    assert silver.count() == len(delivered) - self_transfers
    alerts = lake.read_table(spark, settings, "gold", "aml_alerts").toPandas()
    # AMLSim's own rules ran, and said so: the second day's payments are weighed against the first day's.
    assert len(alerts) > 0 and set(alerts["rule_id"]) <= set(aml.AMLSIM.rules)
    assert {tuple(json.loads(thresholds)["rules"]) for thresholds in alerts["thresholds"]} == {aml.AMLSIM.rules}
    silver_ids = {row.transaction_id for row in silver.select("transaction_id").collect()}
    assert all(set(ids) <= silver_ids for ids in alerts["transaction_ids"])
