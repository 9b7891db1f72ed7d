"""Chicago crimes: one day of landed files -> bronze -> validated -> silver -> gold ``incident_hotspots_weekly``.

The steps every source shares are in jobs/pipeline.py; this module names the public-safety tables and
suites and how its gold is refreshed.

    spark-submit ... jobs/run.py crimes --logical-date 2012-02-14 --expectations-dir expectations
"""

from __future__ import annotations

from jobs import pipeline, publish
from jobs.crimes import columns as raw
from jobs.crimes import transforms


SOURCE = pipeline.Source(
    name=raw.SOURCE,
    columns=raw.REQUIRED_COLUMNS,
    bronze=("bronze", "chicago_crimes"),
    batch_suite="crimes_batch.json",
    quarantine=("quarantine", "public_safety_incidents"),
    silver=publish.Target("silver", "public_safety_incidents", "silver_public_safety_incidents.json"),
    silver_key=("case_number",),
    typed=transforms.typed_incidents,
    split=transforms.split_by_row_rules,
    to_silver=transforms.public_safety_incidents,
    silver_update_when=None,
    # A week's trailing mean depends on the four before it: a batch refreshes the four after it too.
    gold=pipeline.Gold(
        target=publish.Target("gold", "incident_hotspots_weekly", "gold_incident_hotspots_weekly.json"),
        period_column="week",
        silver_period_column="week",
        transform=transforms.incident_hotspots_weekly,
        reconciled_as="silver_located_incidents",
        reconciled_where="grid_cell IS NOT NULL",
        refresh=transforms.weeks_to_refresh,
    ),
)


def main(argv: list[str] | None = None) -> None:
    pipeline.main("crimes", SOURCE, argv)
