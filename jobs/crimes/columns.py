"""The columns of a Chicago crimes delivery, without Spark, so that landing can check them.

City of Chicago "Crimes - 2001 to Present" (ijzp-q8t2). The Socrata API export names fields in
snake_case (``case_number``, ``primary_type``, ISO ``date``) and adds ``:@computed_region_*`` columns;
the portal's CSV export uses display names ("Case Number", "Primary Type", "Date" as
"MM/DD/YYYY hh:mm:ss AM"). Times are Chicago wall-clock times.
"""

from __future__ import annotations

import re

from jobs.landing import DeliveryColumns

SOURCE = "chicago_crimes"

# The API export's fields, in the sample's order (tests/data), without the computed regions.
API_HEADER = (
    "date", "block", "description", "location_description", "iucr", "ward", "year", "case_number", "fbi_code",
    "domestic", "beat", "arrest", "primary_type", "location", "y_coordinate", "latitude", "x_coordinate", "longitude",
)
# The same fields as the portal's CSV export names them, plus those the API sample leaves out.
PORTAL_HEADER = (
    "ID", "Case Number", "Date", "Block", "IUCR", "Primary Type", "Description", "Location Description", "Arrest",
    "Domestic", "Beat", "District", "Ward", "Community Area", "FBI Code", "X Coordinate", "Y Coordinate", "Year",
    "Updated On", "Latitude", "Longitude", "Location",
)
REQUIRED = ("case_number", "date", "primary_type", "latitude", "longitude")


def field_name(display_name: str) -> str:
    """The API's name of a portal column: "Case Number" -> case_number."""
    return re.sub(r"[^a-z0-9]+", "_", display_name.lower()).strip("_")


def spellings(field: str) -> tuple[str, ...]:
    """Every name a field may arrive under (the API's, then the portal's)."""
    return (field, *[name for name in PORTAL_HEADER if field_name(name) == field])


REQUIRED_COLUMNS = DeliveryColumns(
    spellings=(REQUIRED, tuple(spellings(field)[-1] for field in REQUIRED)),
    # The API export carries "id" and "updated_on" too when asked for; the sample does not.
    layouts=(API_HEADER, PORTAL_HEADER, (*API_HEADER, "id", "updated_on", "district", "community_area")),
    expected_extra=r"^:@computed_region_",
)
