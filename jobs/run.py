"""Entry point that ``spark-submit`` runs: ``run.py <job> [job arguments]``.

The job code itself travels as ``build/jobs.zip`` on ``--py-files``, so a cluster runs the same code
as this checkout; this file only picks the job and sets up logging.
"""

import importlib
import logging
import os
import sys

# Run as a script, Python puts this file's folder (jobs/) first on sys.path, where a domain folder could
# shadow a module of the same name (a "platform" folder hides the standard library's): import from the
# package (the checkout or jobs.zip) only.
if sys.path and os.path.realpath(sys.path[0]) == os.path.dirname(os.path.realpath(__file__)):
    sys.path.pop(0)

# The platform's own jobs; every source's and product's job comes from its declaration.
PLATFORM_JOBS = {
    "maintenance": "jobs.maintenance",
    "report": "jobs.report",
}


def jobs() -> dict[str, str]:
    from jobs.declarations import registry

    return {**registry().jobs(), **PLATFORM_JOBS}


def main(argv: list[str]) -> None:
    known = jobs()
    if not argv or argv[0] not in known:
        raise SystemExit(f"usage: run.py {{{','.join(sorted(known))}}} [arguments]; got {argv[:1]}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    importlib.import_module(known[argv[0]]).main(argv[1:])


if __name__ == "__main__":
    main(sys.argv[1:])
