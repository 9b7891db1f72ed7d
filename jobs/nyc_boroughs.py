"""New York City's five boroughs, spelled one way in every curated table so that sources join on them.

Importable without Spark (the social gazetteer reads the names in pandas UDFs and benches)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import Column

BOROUGHS = {
    "MANHATTAN": "Manhattan",
    "BROOKLYN": "Brooklyn",
    "QUEENS": "Queens",
    "BRONX": "Bronx",
    "STATEN ISLAND": "Staten Island",
}
UNSPECIFIED_BOROUGH = "Unspecified"


def canonical_borough(delivered: Column) -> Column:
    """The borough's name as curated tables spell it, whatever case it came in; ``Unspecified`` otherwise."""
    from pyspark.sql import functions as F

    upper = F.upper(F.trim(delivered))
    (first_code, first_name), *others = BOROUGHS.items()
    # One flat CASE WHEN (nested ones count against Spark Connect's plan depth limit).
    borough = F.when(upper == first_code, F.lit(first_name))
    for code, name in others:
        borough = borough.when(upper == code, F.lit(name))
    return borough.otherwise(F.lit(UNSPECIFIED_BOROUGH))
