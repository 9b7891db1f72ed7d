"""The sanctions list: the OFAC SDN files landed for a day -> ``silver.sanctions_entries``, as a new
version when the list changed (see jobs/snapshots.py).

    python -m jobs.run sanctions_list --logical-date 2022-05-01 --expectations-dir expectations
"""

from __future__ import annotations

from jobs import snapshots
from jobs.finance import sanctions
from jobs.finance import sanctions_columns as raw


def main(argv: list[str] | None = None, spark=None) -> None:
    snapshots.main(raw.SOURCE, sanctions.read, argv, spark)
