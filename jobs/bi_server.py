"""The SQL endpoint for BI tools: the Spark Thrift Server (HiveServer2 protocol) over the curated zones.

It is a Spark application of its own, like the engine: its session is built from :func:`jobs.spark_config.spark_conf`
(Delta, the in-memory catalog, S3 when the lake is there), registers the tables declared for BI
(``bi: true`` in their declaration: gold and audit tables only; see jobs/declarations.py) and starts HiveServer2 on that session with
``HiveThriftServer2.startWithContext``. Every JDBC/ODBC session shares the catalog; Delta reads the
latest table version on each query, so new data shows without a restart, and a loop registers tables
that appear later.

Restricted zones (landing, bronze, silver, quarantine) are never registered, and queries on file
paths (``SELECT * FROM delta.`/lake/bronze/...```) are switched off, so a BI user gets "table not
found" for them. That is a default, not a security boundary: a deployment gives the server
credentials that can only read the gold and audit prefixes (see infra/PRODUCTION.md).

    python -m jobs.bi_server [--port 10000] [--refresh-seconds 30]
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading

from jobs import lake
from jobs.declarations import registry
from jobs.settings import load_settings
from jobs.spark_config import engine_session, required_jars


log = logging.getLogger("citylake.bi_server")


def server_conf(settings, port: int) -> dict[str, str]:
    """HiveServer2 on the loopback interface, binary protocol, no path queries."""
    return {
        # HiveServer2 runs statements with the JVM's application class loader, which does not see
        # JARs added with spark.jars: Delta (and s3a) must be on the driver's own class path.
        "spark.driver.extraClassPath": ":".join(required_jars(settings)),
        # HiveServer2 reads its settings from the Hadoop configuration.
        "spark.hadoop.hive.server2.thrift.bind.host": os.environ.get("CITYLAKE_BI_HOST", "127.0.0.1"),
        "spark.hadoop.hive.server2.thrift.port": str(port),
        "spark.hadoop.hive.server2.transport.mode": "binary",
        # `SELECT ... FROM delta.`<path>`` would reach every zone, registered or not.
        "spark.sql.runSQLOnFiles": "false",
        # One session per BI connection, sharing the catalog (temporary views stay private).
        "spark.sql.hive.thriftServer.singleSession": "false",
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("CITYLAKE_BI_PORT", "10000")))
    parser.add_argument("--refresh-seconds", type=float, default=float(os.environ.get("CITYLAKE_BI_REFRESH_SECONDS", "30")))
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = load_settings()
    conf = server_conf(settings, args.port)
    spark = engine_session(settings, "citylake-bi-endpoint", conf)
    # Default deny: only what a declaration exposes; restricted zones can never be declared ``bi``.
    exposed = {table.name for table in registry().bi_tables()}
    zones = tuple(sorted({name.split(".")[0] for name in exposed}))
    tables = lake.register_catalog(spark, settings, zones, only=exposed)
    log.info("serving %d tables: %s", len(tables), ", ".join(tables))
    jvm = spark.sparkContext._jvm
    jvm.org.apache.spark.sql.hive.thriftserver.HiveThriftServer2.startWithContext(spark._jsparkSession.sqlContext())
    log.info("HiveServer2 listening on %s:%d", conf["spark.hadoop.hive.server2.thrift.bind.host"], args.port)

    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    while not stopping.wait(args.refresh_seconds):
        # Tables a DAG created since the last look (existing ones need nothing: Delta reads their latest version).
        try:
            new_tables = sorted(set(lake.register_catalog(spark, settings, zones, only=exposed)) - set(tables))
        except Exception:  # storage unreachable for a moment: keep serving what is registered, look again later
            log.exception("could not look for new tables; serving the %d known ones", len(tables))
            continue
        if new_tables:
            log.info("now serving %s", ", ".join(new_tables))
            tables += new_tables
    log.info("stopping")
    spark.stop()


if __name__ == "__main__":
    main()
