"""The embedded installation's Airflow scheduler, started with the libraries every Spark task needs imported.

    python -m jobs.airflow_scheduler --skip-serve-logs     (infra/airflow.sh; the arguments go to `airflow scheduler`)

The LocalExecutor's workers are forked from the scheduler, and Airflow's task supervisor forks each task from a
worker, so a module the scheduler imported is already in every task's process. Great Expectations takes 3-5 s to
import on the 2-core reference machine (pandas, scipy, altair, its expectation registry; it brings PySpark's
Connect client with it), which each Spark task would otherwise pay before its first validation. The imports
start no thread and open no connection, so forking after them is safe. citylake's own modules are not imported
here: a task imports them fresh, so an edit to ``jobs/`` reaches the next task without restarting the scheduler
(upgrading a library needs the restart, as it always did).
"""

from __future__ import annotations

import sys

import great_expectations  # noqa: F401 - imported for the tasks forked from this process
import pyspark.sql.connect.session  # noqa: F401 - likewise


def main() -> None:
    from airflow.__main__ import main as airflow_main

    sys.argv = ["airflow", "scheduler", *sys.argv[1:]]
    airflow_main()


if __name__ == "__main__":
    main()
