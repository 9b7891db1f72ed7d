"""How a job runs: ``python -m jobs.run <job> [job arguments]`` by hand, :func:`run_job` in an Airflow task.

Either way the job is a Spark Connect client of the lake's warm engine (see jobs/connect_server.py);
this module only picks the job and sets up logging.
"""

import importlib
import logging
import os
import sys

# Run as a script, Python puts this file's folder (jobs/) first on sys.path, where a domain folder could
# shadow a module of the same name (a "platform" folder hides the standard library's): import from the
# package only.
if sys.path and os.path.realpath(sys.path[0]) == os.path.dirname(os.path.realpath(__file__)):
    sys.path.pop(0)

# The platform's own jobs; every source's and product's job comes from its declaration.
PLATFORM_JOBS = {
    "maintenance": "jobs.maintenance",
    "erasure": "jobs.erasure",
    "report": "jobs.report",
}


def jobs() -> dict[str, str]:
    from jobs.declarations import registry

    return {**registry().jobs(), **PLATFORM_JOBS}


def job_module(name: str):
    known = jobs()
    if name not in known:
        raise SystemExit(f"usage: run.py {{{','.join(sorted(known))}}} [arguments]; got {name!r}")
    return importlib.import_module(known[name])


def run_job(*argv: str, spark=None) -> None:
    """The callable of a DAG's Spark task: ``argv`` is the job and its arguments, ``spark`` the session
    the Spark provider's ``PySparkOperator`` built from the ``spark_connect`` connection (and stops after).
    """
    job_module(argv[0]).main(list(argv[1:]), spark)


def main(argv: list[str]) -> None:
    module = job_module(argv[0] if argv else "")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    module.main(argv[1:])


if __name__ == "__main__":
    main(sys.argv[1:])
