"""The one place that builds citylake's Spark configuration.

Both ways a Spark application starts use it: ``spark-submit`` from Airflow (the DAG's operator passes
these settings as ``--conf`` and ``--jars``) and a session built in-process (tests, the demo summary).
JARs come from the folder that ``make setup`` filled from ``infra/jars/pom.xml``: nothing downloads here.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from jobs.settings import Settings

# The JARs every application needs, and the ones only a lake on object storage needs (the AWS SDK
# bundle alone is ~650 MB, so a local lake does not put it on the classpath).
_DELTA_JARS = ("delta-spark_", "delta-storage-")
_S3_JARS = ("hadoop-aws-", "bundle-", "analyticsaccelerator-s3-")


class MissingJarsError(RuntimeError):
    """The pinned JARs are not where set-up puts them."""


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
        # Retries belong to Airflow: one attempt per submission, so "how many times did this run" has one answer.
        "spark.yarn.maxAppAttempts": "1",
    }
    if settings.uses_s3:
        conf.update(_s3_conf())
    local = settings.spark_master.startswith("local")
    # Few shuffle partitions on one machine, since the batches are small and there are only a few
    # cores; a cluster keeps Spark's defaults unless CITYLAKE_SHUFFLE_PARTITIONS says otherwise.
    partitions = os.environ.get("CITYLAKE_SHUFFLE_PARTITIONS", "4" if local else None)
    if partitions:
        conf["spark.sql.shuffle.partitions"] = partitions
        # Delta rebuilds a table's state from its log with 50 tasks by default: seconds per table
        # on two cores, for logs of a few kilobytes.
        conf["spark.databricks.delta.snapshotPartitions"] = partitions
    # Batch logs are read by people and Airflow, not a terminal: no progress bars.
    conf["spark.ui.showConsoleProgress"] = "false"
    if local:
        # On one machine: no web UI (it costs start-up time; CITYLAKE_SPARK_UI=true turns it on).
        conf["spark.ui.enabled"] = os.environ.get("CITYLAKE_SPARK_UI", "false")
        # Python UDFs (pseudonyms) run in worker processes: the interpreter where the project is installed.
        conf["spark.pyspark.python"] = sys.executable
        conf["spark.driver.host"] = "127.0.0.1"
        conf["spark.driver.bindAddress"] = "127.0.0.1"
    return conf


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


def build_session(settings: Settings, app_name: str, extra_conf: dict[str, str] | None = None):
    """A SparkSession for this process, configured by :func:`spark_conf`.

    Under ``spark-submit`` (which hands Python its gateway) the master comes from the submission, so
    the Airflow connection decides where the job runs; in-process the settings' master is used.
    """
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(app_name)
    if "PYSPARK_GATEWAY_PORT" not in os.environ:
        builder = builder.master(settings.spark_master)
        # In-process, PySpark takes the workers' interpreter from the environment, not the conf.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    for key, value in {**spark_conf(settings), **(extra_conf or {})}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    # Spark's INFO lines (one per Delta snapshot) would bury the job's own log in Airflow.
    spark.sparkContext.setLogLevel(os.environ.get("CITYLAKE_SPARK_LOG_LEVEL", "WARN"))
    return spark
