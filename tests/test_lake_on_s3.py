"""The same code with the whole lake on S3: a real S3-compatible server (SeaweedFS) started by infra/."""

from __future__ import annotations

import threading
import time

import boto3
import pytest

from jobs import pipeline
from jobs.audit import RunContext
from jobs.landing import LandingError, land_file, manifest_entries
from jobs.nyc311 import columns as raw
from jobs.nyc311 import job
from jobs.settings import PROJECT_ROOT
from tests.conftest import S3_BUCKET as BUCKET, SAMPLE_311, free_port, make_settings, point_catalog_at, seaweedfs
from tests.expected_gold import assert_gold_matches_raw_csv


def test_the_311_day_lands_and_publishes_with_the_lake_on_s3(spark, s3, tmp_path):
    settings = make_settings(tmp_path, CITYLAKE_LAKE_ROOT=f"s3a://{BUCKET}/lake")
    assert settings.landing_root == f"s3a://{BUCKET}/lake/landing"
    # The shared engine was started with the s3a settings of the test S3 server (tests/conftest.py).

    entry, is_new = land_file(settings, raw.SOURCE, "2022-05-01", SAMPLE_311, raw.REQUIRED_COLUMNS)
    assert is_new and entry.landed_path.startswith(f"s3a://{BUCKET}/lake/landing/nyc_311/2022-05-01/")
    landed = boto3.client("s3").get_object(Bucket=BUCKET, Key="lake/landing/nyc_311/2022-05-01/" + SAMPLE_311.name)["Body"].read()
    assert landed == SAMPLE_311.read_bytes()
    assert manifest_entries(settings, raw.SOURCE, "2022-05-01") == [entry]
    assert not land_file(settings, raw.SOURCE, "2022-05-01", SAMPLE_311, raw.REQUIRED_COLUMNS)[1]

    pipeline.run(spark, settings, RunContext("s3-run", "nyc311_daily", "bronze_to_gold", "2022-05-01"), job.SOURCE, PROJECT_ROOT / "expectations")

    keys = {item["Key"] for item in boto3.client("s3").list_objects_v2(Bucket=BUCKET, Prefix="lake/gold/")["Contents"]}
    assert any(key.startswith("lake/gold/service_requests_daily/_delta_log/") for key in keys)
    try:
        point_catalog_at(spark, settings)
        assert_gold_matches_raw_csv(spark.table("gold.service_requests_daily"), SAMPLE_311)
        assert spark.table("audit.reconciliation").first().balanced
    finally:
        # Unregister the S3 tables while the server still runs: later tests share this session.
        point_catalog_at(spark, make_settings(tmp_path / "local"))


def test_wrong_credentials_fail_fast_naming_endpoint_and_bucket(s3, tmp_path, monkeypatch):
    settings = make_settings(tmp_path, CITYLAKE_LAKE_ROOT=f"s3a://{BUCKET}/lake")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    with pytest.raises(LandingError, match=rf"at {s3}, bucket '{BUCKET}'") as error:
        land_file(settings, raw.SOURCE, "2022-05-03", SAMPLE_311, raw.REQUIRED_COLUMNS)
    assert "not-the-secret" not in str(error.value)


def test_unreachable_storage_fails_within_seconds_naming_the_endpoint(tmp_path, monkeypatch):
    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    settings = make_settings(tmp_path, CITYLAKE_LAKE_ROOT="s3a://nowhere/lake")
    started = time.monotonic()
    with pytest.raises(LandingError, match=rf"at {endpoint}, bucket 'nowhere'"):
        land_file(settings, raw.SOURCE, "2022-05-01", SAMPLE_311, raw.REQUIRED_COLUMNS)
    assert time.monotonic() - started < 30


def test_storage_stopped_in_the_middle_of_a_run_fails_it_naming_endpoint_and_bucket_and_the_retry_publishes_once(spark, s3, tmp_path):
    """The S3 server stopped once the day's bronze is committed: the run fails within the s3a timeouts, naming
    the endpoint and the bucket; restarted, the retry publishes the day once (gold as computed from the raw
    CSV, every row reconciled, bronze's batch not doubled)."""
    settings = make_settings(tmp_path, CITYLAKE_LAKE_ROOT=f"s3a://{BUCKET}/faults")
    land_file(settings, raw.SOURCE, "2022-05-01", SAMPLE_311, raw.REQUIRED_COLUMNS)
    zone, table = job.SOURCE.bronze
    bronze_log = f"faults/{zone}/{table}/_delta_log/"
    outcome: dict = {}

    def run(run_id: str) -> None:
        try:
            pipeline.run(spark, settings, RunContext(run_id, "nyc311_daily", "bronze_to_gold", "2022-05-01"), job.SOURCE, PROJECT_ROOT / "expectations")
        except Exception as error:  # noqa: BLE001 - what the task would fail with
            outcome["error"], outcome["failed_at"] = error, time.monotonic()

    client = boto3.client("s3")
    first = threading.Thread(target=run, args=("attempt-1",))
    first.start()
    deadline = time.monotonic() + 300
    # Version 0 creates bronze, version 1 appends the day's batch.
    while not any(item["Key"].endswith("00000000000000000001.json") for item in client.list_objects_v2(Bucket=BUCKET, Prefix=bronze_log).get("Contents", [])):
        assert first.is_alive() and time.monotonic() < deadline, outcome
        time.sleep(0.2)
    seaweedfs("stop")
    stopped = time.monotonic()
    try:
        first.join(timeout=600)
        assert "error" in outcome, "the run finished without its storage"
        message = str(outcome["error"])
        assert BUCKET in message and s3.removeprefix("http://") in message, message[-3000:]
        assert outcome["failed_at"] - stopped < 180
        print(f"failed {outcome['failed_at'] - stopped:.1f} s after the server stopped: {message[:300]}")
    finally:
        seaweedfs("start")
    outcome.clear()
    run("attempt-2")  # Airflow's retry, once the server is back
    assert not outcome, outcome
    try:
        point_catalog_at(spark, settings)
        assert_gold_matches_raw_csv(spark.table("gold.service_requests_daily"), SAMPLE_311)
        checks = spark.table("audit.reconciliation").where("run_id = 'attempt-2'").collect()
        assert checks and all(check.balanced for check in checks)
        assert spark.table(f"{zone}.{table}").count() == checks[0].manifest_rows  # the batch once, not twice
    finally:
        point_catalog_at(spark, make_settings(tmp_path / "local"))
