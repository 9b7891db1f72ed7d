"""Shared fixtures: one local Spark session for the whole run, and settings pointing at a temporary lake."""

from __future__ import annotations

import dataclasses
import logging
import os
import secrets
import socket
import subprocess
from pathlib import Path

import pytest

from jobs.settings import PROJECT_ROOT, Settings, load_settings

SEAWEEDFS_SCRIPT = PROJECT_ROOT / "infra" / "seaweedfs.sh"
S3_BUCKET = "citylake-test"
SAMPLE_311 = PROJECT_ROOT / "tests" / "data" / "nyc_311" / "nyc311_2022-05-01_first924.csv"

os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
# Throw-away credentials of the test S3 server, set before the shared Spark JVM starts (s3a reads
# them from the JVM's environment, like a job on S3 reads the worker's).
os.environ["AWS_ACCESS_KEY_ID"] = f"citylake-test-{secrets.token_hex(4)}"
os.environ["AWS_SECRET_ACCESS_KEY"] = secrets.token_hex(16)
# The test run's pseudonymisation key: random per run, like a deployment's secret (never a default).
os.environ["CITYLAKE_PSEUDONYM_KEY"] = secrets.token_hex(32)
# py4j logs at INFO from finalizers at interpreter exit, after pytest closed its streams: the
# resulting "Logging error" tracebacks would follow pytest's summary line.
logging.getLogger("py4j").setLevel(logging.WARNING)


def free_port() -> int:
    """A TCP port nothing listens on now, on the loopback interface."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_settings(root: Path, **overrides: str) -> Settings:
    """Settings for a lake, landing zone, inbox and reports under ``root``."""
    environment = {
        "CITYLAKE_LAKE_ROOT": str(root / "lake"),
        "CITYLAKE_INBOX_ROOT": str(root / "inbox"),
        "CITYLAKE_REPORTS_ROOT": str(root / "reports"),
        "CITYLAKE_SPARK_MASTER": "local[2]",
        "CITYLAKE_JARS_DIR": os.environ.get("CITYLAKE_JARS_DIR", str(PROJECT_ROOT / ".citylake" / "jars")),
    }
    environment.update(overrides)
    return load_settings(environment)


@pytest.fixture(scope="session")
def spark_settings(tmp_path_factory) -> Settings:
    return make_settings(tmp_path_factory.mktemp("spark-lake"))


@pytest.fixture(scope="session")
def spark(spark_settings):
    """The one Spark session of the test run: local[2], 2 shuffle partitions, UTC."""
    from jobs.spark_config import build_session, required_jars

    os.environ["CITYLAKE_SHUFFLE_PARTITIONS"] = "2"
    # The S3 JARs too, so that the object-storage tests can share this session.
    all_jars = required_jars(dataclasses.replace(spark_settings, lake_root="s3a://any/lake"))
    session = build_session(spark_settings, "citylake-tests", {"spark.jars": ",".join(all_jars)})
    yield session
    session.stop()


@pytest.fixture
def settings(tmp_path) -> Settings:
    """A fresh lake per test (the shared session writes where these settings point)."""
    return make_settings(tmp_path)


def point_catalog_at(spark, settings: Settings) -> None:
    """Make table names in the shared session resolve to the lake of ``settings``.

    Tables are unregistered first (they are external: their data stays where it is).
    """
    from jobs import lake as lake_module

    for zone in lake_module.ZONES:
        if spark.catalog.databaseExists(zone):
            for table in spark.catalog.listTables(zone):
                spark.sql(f"DROP TABLE IF EXISTS {zone}.`{table.name}`")
    lake_module.register_catalog(spark, settings)


@pytest.fixture
def lake(spark, settings):
    """The shared session's catalog pointed at this test's fresh lake."""
    point_catalog_at(spark, settings)
    return settings


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    """SeaweedFS on a free loopback port with throw-away credentials; the process environment points at it."""
    port = free_port()
    # The throw-away credentials conftest set before the Spark JVM started.
    credentials = {key: os.environ[key] for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    environment = {
        **os.environ,
        **credentials,
        "CITYLAKE_S3_PORT": str(port),
        "CITYLAKE_S3_DIR": str(tmp_path_factory.mktemp("seaweedfs")),
        "PATH": f"{PROJECT_ROOT / '.venv' / 'bin'}:{os.environ['PATH']}",
    }
    import boto3

    subprocess.run([str(SEAWEEDFS_SCRIPT), "start"], env=environment, check=True, timeout=120)
    saved = {key: os.environ.get(key) for key in ("AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION")}
    os.environ.update(AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}", AWS_DEFAULT_REGION="us-east-1")
    try:
        boto3.client("s3").create_bucket(Bucket=S3_BUCKET)
        yield f"http://127.0.0.1:{port}"
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        subprocess.run([str(SEAWEEDFS_SCRIPT), "stop"], env=environment, check=True, timeout=60)
