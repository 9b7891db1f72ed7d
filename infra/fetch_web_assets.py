"""Fetch the Data Docs web assets of jobs/reference/web_assets.tsv into a folder, once, at set-up.

    python infra/fetch_web_assets.py OUTPUT_DIR            fetch and check against assets.lock
    python infra/fetch_web_assets.py OUTPUT_DIR --lock     fetch and (re)write assets.lock

Each package is fetched with `npm pack` (the tarball only, no dependencies: the files used are
self-contained builds) and unpacked into OUTPUT_DIR/<package>/. Its sha512 integrity must equal the
one in assets.lock, so the assets that were reviewed are the ones served.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
MANIFEST = PROJECT / "jobs" / "reference" / "web_assets.tsv"
LOCK = PROJECT / "infra" / "web_assets" / "assets.lock"


def packages() -> list[str]:
    specs = [line.split("\t")[0] for line in MANIFEST.read_text().splitlines() if line and not line.startswith("#")]
    return list(dict.fromkeys(specs))


def package_name(spec: str) -> str:
    return spec.rsplit("@", 1)[0]


def main(argv: list[str]) -> None:
    output = Path(argv[0])
    write_lock = "--lock" in argv
    locked = {} if write_lock else json.loads(LOCK.read_text())
    integrity = {}
    staging = Path(tempfile.mkdtemp(prefix="citylake-web-assets-"))
    ready = staging / "assets"
    try:
        for position, spec in enumerate(packages()):
            result = subprocess.run(
                ["npm", "pack", spec, "--json", "--pack-destination", str(staging)],
                check=True, capture_output=True, text=True, cwd=staging,
            )
            [packed] = json.loads(result.stdout)
            integrity[spec] = packed["integrity"]
            if not write_lock and locked.get(spec) != packed["integrity"]:
                raise SystemExit(f"{spec}: integrity {packed['integrity']} is not the one in {LOCK} ({locked.get(spec)})")
            unpacked = staging / f"unpacked-{position}"
            with tarfile.open(staging / packed["filename"]) as archive:
                archive.extractall(unpacked, filter="data")
            (ready / package_name(spec)).parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(unpacked / "package"), str(ready / package_name(spec)))
        if output.exists():
            shutil.rmtree(output)
        output.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(ready), str(output))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if write_lock:
        LOCK.write_text(json.dumps(integrity, indent=2, sort_keys=True) + "\n")
    print(f"web assets: {len(integrity)} packages in {output}")


if __name__ == "__main__":
    main(sys.argv[1:])
