"""New York City's five boroughs, spelled one way in every curated table so that sources join on them."""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

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
    upper = F.upper(F.trim(delivered))
    borough = F.lit(UNSPECIFIED_BOROUGH)
    for code, name in BOROUGHS.items():
        borough = F.when(upper == code, F.lit(name)).otherwise(borough)
    return borough
