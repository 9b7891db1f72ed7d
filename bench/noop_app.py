"""A Spark application that does only what every citylake job does first: start, register the catalog, stop."""

from jobs import lake
from jobs.settings import load_settings
from jobs.spark_config import build_session

settings = load_settings()
spark = build_session(settings, "citylake-bench-noop")
lake.register_catalog(spark, settings)
spark.stop()
