"""A Spark application that does only what every citylake job does first: start Spark with citylake's configuration, then stop."""

from jobs.settings import load_settings
from jobs.spark_config import build_session

settings = load_settings()
spark = build_session(settings, "citylake-bench-noop")
spark.stop()
