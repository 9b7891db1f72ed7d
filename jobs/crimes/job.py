"""Chicago crimes: one day of landed files -> bronze -> validated -> silver -> gold ``incident_hotspots_weekly``.

The steps every source shares are in jobs/pipeline.py; its tables are declared in
jobs/crimes/declarations.yaml; this module gives the code that fills them and how its gold is refreshed.

    python -m jobs.run crimes --logical-date 2012-02-14 --expectations-dir expectations
"""

from __future__ import annotations

from jobs import pipeline
from jobs.crimes import columns as raw
from jobs.crimes import transforms


SOURCE = pipeline.declared_source(
    raw.SOURCE,
    typed=transforms.typed_incidents,
    split=transforms.split_by_row_rules,
    to_silver=transforms.public_safety_incidents,
    silver_update_when=None,
    # A week's trailing mean depends on the four before it: a batch refreshes the four after it too.
    gold=pipeline.Gold(
        period_column="week",
        silver_period_column="week",
        transform=transforms.incident_hotspots_weekly,
        reconciled_as="silver_located_incidents",
        reconciled_where="grid_cell IS NOT NULL",
        refresh=transforms.weeks_to_refresh,
    ),
)


def main(argv: list[str] | None = None, spark=None) -> None:
    pipeline.main(SOURCE, argv, spark)
