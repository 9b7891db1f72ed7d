"""Build build/jobs.zip: the `jobs` package as spark-submit ships it on --py-files.

Deterministic (sorted entries, fixed timestamps), so the same code gives the same archive.
"""

import sys
import zipfile
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


def build(target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    files = sorted(
        path
        for path in (PROJECT / "jobs").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix in {".py", ".csv", ".tsv", ".yaml", ".md"}
    )
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            info = zipfile.ZipInfo(str(path.relative_to(PROJECT)), date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else PROJECT / "build" / "jobs.zip")
