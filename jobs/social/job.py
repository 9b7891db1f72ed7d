"""Social posts: one day of landed JSON Lines files -> bronze -> validated -> silver -> gold public opinion.

The steps every source shares are in jobs/pipeline.py; the tables are declared in
jobs/social/declarations.yaml; this module gives the code that fills them (jobs/social/transforms.py).

    python -m jobs.run social_posts --logical-date 2024-03-02 --expectations-dir expectations
"""

from __future__ import annotations

from jobs import pipeline
from jobs.social import columns as raw
from jobs.social import transforms

SOURCE = pipeline.declared_source(
    raw.SOURCE,
    typed=transforms.typed_posts,
    split=transforms.split_by_row_rules,
    to_silver=transforms.social_posts,
    silver_update_when=transforms.SILVER_UPDATE_WHEN,
    gold=pipeline.Gold(
        period_column="day",
        silver_period_column="created_date",
        transform=transforms.public_opinion_daily,
        reconciled_as="silver_posts_counted",
        reconciled_where="counts_in_opinion AND size(themes) > 0",
    ),
)


def main(argv: list[str] | None = None, spark=None) -> None:
    pipeline.main(SOURCE, argv, spark)
