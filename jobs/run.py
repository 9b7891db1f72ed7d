"""Entry point that ``spark-submit`` runs: ``run.py <job> [job arguments]``.

The job code itself travels as ``build/jobs.zip`` on ``--py-files``, so a cluster runs the same code
as this checkout; this file only picks the job and sets up logging.
"""

import importlib
import logging
import sys

JOBS = {
    "nyc311": "jobs.nyc311.job",
    "taxi": "jobs.taxi.job",
    "waste": "jobs.waste.job",
    "crimes": "jobs.crimes.job",
    "city_themes": "jobs.city_themes",
    "maintenance": "jobs.maintenance",
    "report": "jobs.report",
}


def main(argv: list[str]) -> None:
    if not argv or argv[0] not in JOBS:
        raise SystemExit(f"usage: run.py {{{','.join(sorted(JOBS))}}} [arguments]; got {argv[:1]}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    importlib.import_module(JOBS[argv[0]]).main(argv[1:])


if __name__ == "__main__":
    main(sys.argv[1:])
