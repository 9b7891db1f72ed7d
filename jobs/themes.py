"""City themes: the shared vocabulary that lets gold tables of different sources join.

The mapping is data (``jobs/reference/city_themes.csv``), versioned with the code; this module only
turns it into a Spark column expression.
"""

from __future__ import annotations

import csv
import io
from importlib import resources

THEMES = ("transport", "waste and sanitation", "public safety", "noise", "housing", "environment", "other")
DEFAULT_THEME = "other"


def theme_rules(source: str) -> list[tuple[str, str]]:
    """``(LIKE pattern, theme)`` pairs for one source, in priority order."""
    text = resources.files("jobs.reference").joinpath("city_themes.csv").read_text(encoding="utf-8")
    rules = [(row["category_pattern"], row["theme"]) for row in csv.DictReader(io.StringIO(text)) if row["source"] == source]
    unknown = sorted({theme for _, theme in rules} - set(THEMES))
    if unknown:
        raise ValueError(f"city_themes.csv: unknown theme(s) {unknown} for source {source}; allowed: {THEMES}")
    return rules


def theme_of(category, rules: list[tuple[str, str]]):
    """A Column holding the theme of ``category`` (a Column): the first matching rule, else ``other``."""
    from pyspark.sql import functions as F

    if not rules:
        return F.lit(DEFAULT_THEME)
    # One flat CASE WHEN: nesting one per rule would exceed Spark Connect's plan depth limit.
    (first_pattern, first_theme), *others = rules
    expression = F.when(category.like(first_pattern), F.lit(first_theme))
    for pattern, theme in others:
        expression = expression.when(category.like(pattern), F.lit(theme))
    return expression.otherwise(F.lit(DEFAULT_THEME))
