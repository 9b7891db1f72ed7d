"""The one place that builds citylake's Spark configuration, and the one way a job reaches Spark.

Jobs run as Spark Connect clients (:func:`build_session`) of a long-running engine, the Connect server
(``jobs/connect_server.py``, started by ``infra/spark_connect.sh``): a run pays for a client session
(about half a second), not for a JVM that starts cold. The engine itself, and the SQL endpoint, are
the only classic Spark applications (:func:`engine_session`); both take their configuration from
:func:`spark_conf`. JARs come from the folder that ``make setup`` filled from ``infra/jars/pom.xml``:
nothing downloads here.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

from jobs.settings import Settings

# The JARs every application needs, and the ones only a lake on object storage needs (the AWS SDK
# bundle alone is ~650 MB, so a local lake does not put it on the classpath).
_DELTA_JARS = ("delta-spark_", "delta-storage-")
_S3_JARS = ("hadoop-aws-", "bundle-", "analyticsaccelerator-s3-")


class MissingJarsError(RuntimeError):
    """The pinned JARs are not where set-up puts them."""


class EngineUnreachableError(RuntimeError):
    """Nothing answers at the Spark Connect endpoint; the message names it and how to start it."""


def required_jars(settings: Settings) -> list[str]:
    """Absolute paths of the JARs this configuration needs, from the set-up's JAR folder."""
    prefixes = _DELTA_JARS + (_S3_JARS if settings.uses_s3 else ())
    folder = Path(settings.jars_dir)
    available = sorted(folder.glob("*.jar")) if folder.is_dir() else []
    jars = []
    for prefix in prefixes:
        matches = [jar for jar in available if jar.name.startswith(prefix)]
        if len(matches) != 1:
            raise MissingJarsError(
                f"expected exactly one {prefix}*.jar in {folder} (CITYLAKE_JARS_DIR), found {len(matches)}; "
                "run `make setup` to resolve infra/jars/pom.xml"
            )
        jars.append(str(matches[0]))
    return jars


def spark_conf(settings: Settings) -> dict[str, str]:
    """Spark properties for a citylake application, without the master (the caller owns that)."""
    conf = {
        "spark.jars": ",".join(required_jars(settings)),
        "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
        "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
        # Each application rebuilds its catalog from the lake's layout (see jobs/lake.py), so no
        # metastore process has to be shared and several applications can run at once.
        "spark.sql.catalogImplementation": "in-memory",
        "spark.sql.session.timeZone": "UTC",
        # The JVMs and Python workers in UTC too, whatever the host's zone (the engine's own process: engine_session):
        # a Python UDF reads a timestamp in its process's zone, and Delta 4.4 checks each commit to a small table
        # against a rebuilt snapshot on a JVM whose zone is not UTC (`allFilesInCrc.verificationMode.forceOnNonUTC`:
        # on a host in New York a 311 day's first run took 58 / 52 s against 47 / 49 s with this, see README).
        "spark.driver.extraJavaOptions": "-Duser.timezone=UTC",
        "spark.executor.extraJavaOptions": "-Duser.timezone=UTC",
        "spark.executorEnv.TZ": "UTC",
        # Retries belong to Airflow: one attempt per submission, so "how many times did this run" has one answer.
        "spark.yarn.maxAppAttempts": "1",
    }
    if settings.uses_s3:
        conf.update(_s3_conf())
    local = settings.spark_master.startswith("local")
    # Few shuffle partitions on one machine, since the batches are small and there are only a few
    # cores (2 against 4: a day-5 311 run 19.6 / 19.2 s against 22.2 / 21.7 s, a 1M-row day 98 against 103 s;
    # a large delivery's shuffles are widened per run, jobs/pipeline.py); a cluster keeps Spark's defaults
    # unless CITYLAKE_SHUFFLE_PARTITIONS says otherwise.
    partitions = os.environ.get("CITYLAKE_SHUFFLE_PARTITIONS", "2" if local else None)
    if partitions:
        conf["spark.sql.shuffle.partitions"] = partitions
        # Delta rebuilds a table's state from its log with 50 tasks by default: seconds per table
        # on two cores, for logs of a few kilobytes.
        conf["spark.databricks.delta.snapshotPartitions"] = partitions
        # Delta's VACUUM lists a table's folder in a job of this many tasks (Spark's default: 10,000): a full
        # VACUUM of a small table took 21 s on two cores, 2 s with 8 tasks (measured side by side, one engine).
        conf["spark.sql.sources.parallelPartitionDiscovery.parallelism"] = str(max(8, int(partitions)))
    # Batch logs are read by people and Airflow, not a terminal: no progress bars.
    conf["spark.ui.showConsoleProgress"] = "false"
    # Python UDFs (pseudonyms) run in worker processes: an interpreter where the project is installed
    # (this one on one machine or the standalone cluster here; the image's on Kubernetes).
    conf["spark.pyspark.python"] = os.environ.get("CITYLAKE_EXECUTOR_PYTHON", sys.executable)
    if local:
        # On one machine: no web UI (it costs start-up time; CITYLAKE_SPARK_UI=true turns it on).
        conf["spark.ui.enabled"] = os.environ.get("CITYLAKE_SPARK_UI", "false")
        if "CITYLAKE_SPARK_UI_PORT" in os.environ:
            conf["spark.ui.port"] = os.environ["CITYLAKE_SPARK_UI_PORT"]
        conf["spark.driver.host"] = "127.0.0.1"
        conf["spark.driver.bindAddress"] = "127.0.0.1"
        # Spark 4.1+ checksums every shuffled row, so that a map task run again after its executor was lost can
        # be told apart when its output differs. On one machine the executors are the engine: losing them
        # loses the job whole, never map output under a running consumer. The checksum hashed each row
        # whole, about 6 % of the engine's CPU scoring social posts (a JFR profile); a cluster keeps it.
        conf["spark.sql.shuffle.orderIndependentChecksum.enabled"] = "false"
    if local and os.environ.get("CITYLAKE_SPARK_CODEGEN", "false") != "true":
        conf.update(INTERPRETED)
    return conf


# Spark generates Java code for every query's expressions and stages on the driver (and compiles it with Janino
# unless an identical class is cached: a warm run compiles almost nothing, but generates every time): on
# batches of thousands of rows that, not the rows, is much of a query's CPU, and a run sends ~90 queries (each
# Delta snapshot, gate and commit). On one machine the engine evaluates expressions as they
# are instead (Spark's interpreted paths, which its own tests run everything through), unless
# CITYLAKE_SPARK_CODEGEN=true; a run with a large delivery compiles again for its session
# (jobs/pipeline.py: session_sized_for), and a cluster keeps Spark's defaults. Measured in README ("Spark").
INTERPRETED = {"spark.sql.codegen.wholeStage": "false", "spark.sql.codegen.factoryMode": "NO_CODEGEN"}
COMPILED = {"spark.sql.codegen.wholeStage": "true", "spark.sql.codegen.factoryMode": "FALLBACK"}


def _s3_conf() -> dict[str, str]:
    """s3a settings shared with boto3: one endpoint variable (AWS_ENDPOINT_URL) for both clients.

    Credentials are not configured here: s3a's default chain reads AWS_ACCESS_KEY_ID and
    AWS_SECRET_ACCESS_KEY from the environment (or an instance profile), so keys never enter the conf.
    Delta's default S3 log store is kept: it assumes one writer per table at a time, which
    max_active_runs=1 per source DAG guarantees (see README).
    """
    conf = {
        # Unreachable storage must fail a task within a minute or so, not hang in retries for many
        # minutes (the s3a defaults); Airflow's retries take over from there.
        "spark.hadoop.fs.s3a.connection.establish.timeout": "15000",
        "spark.hadoop.fs.s3a.connection.timeout": "30000",
        "spark.hadoop.fs.s3a.attempts.maximum": "2",
        "spark.hadoop.fs.s3a.retry.limit": "2",
        "spark.hadoop.fs.s3a.retry.interval": "500ms",
    }
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        # An S3-compatible server (SeaweedFS, MinIO) serves buckets as paths, not host names.
        conf["spark.hadoop.fs.s3a.endpoint"] = endpoint
        conf["spark.hadoop.fs.s3a.path.style.access"] = "true"
        conf["spark.hadoop.fs.s3a.connection.ssl.enabled"] = str(endpoint.startswith("https")).lower()
    return conf


def engine_session(settings: Settings, app_name: str, extra_conf: dict[str, str] | None = None):
    """A classic SparkSession in this process, configured by :func:`spark_conf`: for the servers only.

    The Connect server and the SQL endpoint are Spark applications of their own; jobs never build one.
    """
    from pyspark.sql import SparkSession

    # A server started from a process that had a Connect session inherits PySpark's markers of one,
    # which would make this builder a Connect client too.
    for marker in ("SPARK_CONNECT_MODE_ENABLED", "SPARK_REMOTE", "SPARK_LOCAL_REMOTE"):
        os.environ.pop(marker, None)
    # On one machine the executors and their Python workers are this process's children: UTC, as spark_conf says.
    os.environ["TZ"] = "UTC"
    time.tzset()
    builder = SparkSession.builder.appName(app_name).master(settings.spark_master)
    # In-process, PySpark takes the workers' interpreter from the environment, not the conf.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    for key, value in {**spark_conf(settings), **(extra_conf or {})}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    # Spark's INFO lines (one per Delta snapshot) would bury the server's own log.
    spark.sparkContext.setLogLevel(os.environ.get("CITYLAKE_SPARK_LOG_LEVEL", "WARN"))
    return spark


def check_reachable(url: str, timeout: float = 3.0) -> None:
    """Fail within seconds when nothing listens at ``sc://host:port``.

    The Connect client retries an unavailable server with back-off for minutes; a task should fail
    fast, naming the endpoint, and leave the retry to Airflow.
    """
    endpoint = urlparse(url.replace("sc://", "http://", 1))
    host, port = endpoint.hostname or "127.0.0.1", endpoint.port or 15002
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as error:
        raise EngineUnreachableError(
            f"the Spark Connect server at sc://{host}:{port} is unreachable ({error.strerror or error}); "
            "start it with `infra/spark_connect.sh start` (CITYLAKE_SPARK_REMOTE names the endpoint)"
        ) from None


def build_session(settings: Settings, app_name: str):
    """A Spark Connect session on the engine at ``settings.spark_remote`` (CLI, tests, benchmarks).

    In an Airflow task the Spark provider's operator builds the session from the ``spark_connect``
    connection instead, and hands it to the job.
    """
    from pyspark.sql import SparkSession

    check_reachable(settings.spark_remote)
    return SparkSession.builder.remote(settings.spark_remote).appName(app_name).getOrCreate()
