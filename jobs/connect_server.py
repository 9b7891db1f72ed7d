"""The lake's warm engine: a long-running Spark application serving Spark Connect on 127.0.0.1.

Why: a cold Spark application costs 11 s to start and as much again to warm up, more than a day's
small batch takes; a Connect client session on a warm engine costs about half a second. Every job
(Airflow tasks through the provider's ``spark_connect`` connection, the CLI, the tests) sends its work
here. The server is a classic application built by :func:`jobs.spark_config.engine_session`, so it
has Delta's JARs, extension and catalog, S3 when the lake is there, and runs its executors where
``CITYLAKE_SPARK_MASTER`` says (local, or a cluster). Spark's own ``SparkConnectPlugin`` serves the
gRPC endpoint; the JAR ships in the pyspark wheel.

Sessions are isolated (each client's temporary views, cache and settings are its own; a client that
stops its session releases them), and concurrent jobs share the executors through the FAIR
scheduler, so a long backfill of one DAG does not starve a short run of another.

    python -m jobs.connect_server [--port 15002]
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading

from jobs.settings import PROJECT_ROOT, load_settings
from jobs.spark_config import engine_session

log = logging.getLogger("citylake.connect_server")

CONNECT_PLUGIN = "org.apache.spark.sql.connect.SparkConnectPlugin"
FAIR_POOLS = PROJECT_ROOT / "infra" / "spark_fair_pools.xml"
HEALTH_CHECK_SECONDS = 5


def server_conf(host: str, port: int, memory: str) -> dict[str, str]:
    """Spark Connect on ``host:port``, FAIR scheduling, bounded driver memory, an event log if asked for."""
    event_log = os.environ.get("CITYLAKE_SPARK_EVENT_LOG_DIR")
    # Spark's event log (for a history server, or an auditor's look at what ran) where the operator wants it.
    logged = {"spark.eventLog.enabled": "true", "spark.eventLog.dir": event_log} if event_log else {}
    return {
        **logged,
        "spark.plugins": CONNECT_PLUGIN,
        "spark.connect.grpc.binding.address": host,
        "spark.connect.grpc.binding.port": str(port),
        # The driver (and, on local masters, the executors) live in this JVM: its heap is the engine's memory.
        "spark.driver.memory": memory,
        "spark.scheduler.mode": "FAIR",
        "spark.scheduler.allocation.file": str(FAIR_POOLS),
        # A client that vanished (a killed task) must not pin its session's cache for long.
        "spark.connect.session.manager.defaultSessionTimeout": os.environ.get("CITYLAKE_SPARK_CONNECT_SESSION_TIMEOUT", "30min"),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("CITYLAKE_SPARK_CONNECT_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("CITYLAKE_SPARK_CONNECT_PORT", "15002")))
    parser.add_argument("--memory", default=os.environ.get("CITYLAKE_SPARK_CONNECT_MEMORY", "3g"))
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = load_settings()
    spark = engine_session(settings, "citylake-engine", server_conf(args.host, args.port, args.memory))
    log.info("Spark Connect serving sc://%s:%d (master %s, lake %s)", args.host, args.port, settings.spark_master, settings.lake_root)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    while not stopping.wait(HEALTH_CHECK_SECONDS):
        if not engine_alive(spark):
            # Exit non-zero: infra/spark_connect.sh's supervisor starts a new engine.
            log.error("the engine's JVM or Spark context is gone; exiting so that the supervisor restarts it")
            raise SystemExit(1)
    log.info("stopping")
    spark.stop()


def engine_alive(spark) -> bool:
    """Whether the JVM answers and its Spark context still runs (an out-of-memory error can stop it)."""
    try:
        return not spark.sparkContext._jsc.sc().isStopped()
    except Exception:  # py4j: the JVM is gone
        return False


if __name__ == "__main__":
    main()
