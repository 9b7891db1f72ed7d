"""Shared fixtures: one warm engine (a Spark Connect server) and one session on it for the whole run, and
settings pointing at a temporary lake."""

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
CONNECT_SCRIPT = PROJECT_ROOT / "infra" / "spark_connect.sh"
S3_BUCKET = "citylake-test"
SAMPLE_311 = PROJECT_ROOT / "tests" / "data" / "nyc_311" / "nyc311_2022-05-01_first924.csv"

os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
# Throw-away credentials of the test S3 server, set before the engine starts (s3a reads them from the
# engine's environment, like an engine on S3 reads its instance role's).
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


# The test S3 server's port, chosen before the engine starts so that the engine knows its endpoint
# (s3a connects only when a path on S3 is read, so the server need not run yet).
S3_PORT = free_port()
S3_ENDPOINT = f"http://127.0.0.1:{S3_PORT}"
ENGINE_UI_PORT = free_port()


def engine_spark_jobs() -> int:
    """How many Spark jobs the shared test engine has started so far (from its web UI's REST API).

    Job ids count up from 0, so the newest id tells (the UI keeps only the last 1,000 jobs: a count of
    the listed ones would fall once the suite has run more). The UI learns of jobs through Spark's
    asynchronous listener bus: read until the figure settles.
    """
    import json
    import time
    import urllib.request

    api = f"http://127.0.0.1:{ENGINE_UI_PORT}/api/v1/applications"
    with urllib.request.urlopen(api, timeout=10) as response:
        (application,) = json.load(response)
    previous = None
    while True:
        with urllib.request.urlopen(f"{api}/{application['id']}/jobs", timeout=10) as response:
            count = 1 + max((job["jobId"] for job in json.load(response)), default=-1)
        if count == previous:
            return count
        previous = count
        time.sleep(0.5)


def engine_cached_datasets(settle_seconds: float = 15.0) -> list[str]:
    """The names of the datasets a job cached on the shared test engine (its web UI's storage listing).

    Delta's own snapshot caches ("Delta Table State ...", released as snapshots are replaced) are left
    out. Unpersisting is asynchronous on the engine: read until the listing settles or time is up.
    """
    import json
    import time
    import urllib.request

    api = f"http://127.0.0.1:{ENGINE_UI_PORT}/api/v1/applications"
    with urllib.request.urlopen(api, timeout=10) as response:
        (application,) = json.load(response)
    deadline, previous = time.monotonic() + settle_seconds, None
    while True:
        with urllib.request.urlopen(f"{api}/{application['id']}/storage/rdd", timeout=10) as response:
            names = sorted(rdd["name"] for rdd in json.load(response) if rdd.get("numCachedPartitions", 0) and not rdd["name"].startswith("Delta Table State"))
        if names == previous or time.monotonic() > deadline:
            return names
        previous = names
        time.sleep(1.0)


def make_settings(root: Path, **overrides: str) -> Settings:
    """Settings for a lake, landing zone, inbox and reports under ``root``."""
    return load_settings(settings_environment(root, **overrides))


def settings_environment(root: Path, **overrides: str) -> dict[str, str]:
    """The environment ``make_settings(root)`` reads: what a job started as its own process is given."""
    environment = {
        "CITYLAKE_LAKE_ROOT": str(root / "lake"),
        "CITYLAKE_INBOX_ROOT": str(root / "inbox"),
        "CITYLAKE_REPORTS_ROOT": str(root / "reports"),
        "CITYLAKE_SPARK_MASTER": "local[2]",
        "CITYLAKE_SPARK_REMOTE": os.environ.get("CITYLAKE_SPARK_REMOTE", "sc://127.0.0.1:15002"),
        "CITYLAKE_JARS_DIR": os.environ.get("CITYLAKE_JARS_DIR", str(PROJECT_ROOT / ".citylake" / "jars")),
    }
    environment.update(overrides)
    return environment


@pytest.fixture(scope="session")
def spark_settings(tmp_path_factory) -> Settings:
    return make_settings(tmp_path_factory.mktemp("spark-lake"))


def engine_environment(state: Path, port: int, **overrides: str) -> dict[str, str]:
    """The environment of a test engine started by infra/spark_connect.sh: its own state and port."""
    return {
        **os.environ,
        "CITYLAKE_STATE": str(state),
        "CITYLAKE_SPARK_CONNECT_PORT": str(port),
        "CITYLAKE_SPARK_REMOTE": f"sc://127.0.0.1:{port}",
        "CITYLAKE_SPARK_MASTER": "local[2]",
        "CITYLAKE_SHUFFLE_PARTITIONS": "2",
        "CITYLAKE_SPARK_CONNECT_MEMORY": "2g",
        # A host in another zone than the lake's: the engine must still run in UTC (jobs/spark_config.py).
        "TZ": "America/New_York",
        "PATH": f"{PROJECT_ROOT / '.venv' / 'bin'}:{os.environ['PATH']}",
        **overrides,
    }


@pytest.fixture(scope="session")
def engine(tmp_path_factory):
    """The test run's warm engine: a Spark Connect server on a free loopback port, stopped at the end.

    It can reach the test S3 server too (its JARs and endpoint), so the object-storage tests share it.
    """
    environment = engine_environment(
        tmp_path_factory.mktemp("engine"), free_port(), CITYLAKE_LAKE_ROOT=f"s3a://{S3_BUCKET}/lake", AWS_ENDPOINT_URL=S3_ENDPOINT,
        # Its web UI's REST API lets a test count the Spark jobs an operation ran.
        CITYLAKE_SPARK_UI="true", CITYLAKE_SPARK_UI_PORT=str(ENGINE_UI_PORT),
    )
    subprocess.run([str(CONNECT_SCRIPT), "start"], env=environment, check=True, timeout=240)
    try:
        yield environment["CITYLAKE_SPARK_REMOTE"]
    finally:
        subprocess.run([str(CONNECT_SCRIPT), "stop"], env=environment, check=True, timeout=90)


@pytest.fixture(scope="session")
def spark(engine, spark_settings):
    """The one Spark session of the test run, on the shared engine (local[2], 2 shuffle partitions, UTC)."""
    from jobs.spark_config import build_session

    os.environ["CITYLAKE_SPARK_REMOTE"] = engine
    session = build_session(dataclasses.replace(spark_settings, spark_remote=engine), "citylake-tests")
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


# The test S3 server's environment, while the ``s3`` fixture runs it.
S3_SERVER: dict[str, dict] = {}


def seaweedfs(action: str) -> None:
    """Stop or start the test S3 server the ``s3`` fixture runs (its data stays in its folder)."""
    subprocess.run([str(SEAWEEDFS_SCRIPT), action], env=S3_SERVER["environment"], check=True, timeout=120)


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    """SeaweedFS on a free loopback port with throw-away credentials; the process environment points at it."""
    port = S3_PORT
    # The throw-away credentials conftest set before the engine started.
    credentials = {key: os.environ[key] for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    environment = {
        **os.environ,
        **credentials,
        "CITYLAKE_S3_PORT": str(port),
        "CITYLAKE_S3_DIR": str(tmp_path_factory.mktemp("seaweedfs")),
        "PATH": f"{PROJECT_ROOT / '.venv' / 'bin'}:{os.environ['PATH']}",
    }
    import boto3

    S3_SERVER["environment"] = environment  # for the tests that stop and restart it (seaweedfs())
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
