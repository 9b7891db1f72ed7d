"""The consent registry: one day's landed changes -> bronze -> validated -> silver ``consent_events``.

The steps every source shares are in jobs/pipeline.py; its tables are declared in
jobs/consent_registry/declarations.yaml. The lake acts on it in jobs/consent.py: from their next run on, the
sources and products drop the rows of subjects whose consent to a purpose their table serves is withdrawn.

    python -m jobs.run consent --logical-date 2022-05-02 --expectations-dir expectations
"""

from __future__ import annotations

from jobs import pipeline
from jobs.consent_registry import columns as raw
from jobs.consent_registry import transforms

SOURCE = pipeline.declared_source(
    raw.SOURCE,
    typed=transforms.typed_events,
    split=transforms.split_by_row_rules,
    to_silver=transforms.consent_events,
    silver_update_when=None,
    gold=None,
)


def main(argv: list[str] | None = None, spark=None) -> None:
    pipeline.main(SOURCE, argv, spark)
