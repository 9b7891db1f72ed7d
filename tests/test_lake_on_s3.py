"""The same code with the whole lake on S3: a real S3-compatible server (SeaweedFS) started by infra/."""

from __future__ import annotations

import time

import boto3
import pytest

from jobs import pipeline
from jobs.audit import RunContext
from jobs.landing import LandingError, land_file, manifest_entries
from jobs.nyc311 import columns as raw
from jobs.nyc311 import job
from jobs.settings import PROJECT_ROOT
from tests.conftest import S3_BUCKET as BUCKET, SAMPLE_311, free_port, make_settings, point_catalog_at
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
