"""The columns of a 311 delivery, without Spark, so that landing (in the Airflow worker) can check them.

NYC publishes the dataset (erm2-nwe9) in two shapes, and both land in the same tables:
- the portal's CSV export, with display names ("Unique Key", "Created Date", ...) and times as
  "MM/DD/YYYY hh:mm:ss AM";
- the Socrata API's CSV or JSON, with field names (``unique_key``, ``created_date``, ...), ISO times
  and extra ``:@computed_region_*`` columns.
A field name is the display name in snake case, so one list of display names gives both spellings.
"""

from __future__ import annotations

import re

from jobs.landing import DeliveryColumns

SOURCE = "nyc_311"

# Every column of the portal export, in its order: a delivered column outside these (in either
# spelling) is schema drift, kept in bronze and reported.
PORTAL_HEADER = (
    "Unique Key", "Created Date", "Closed Date", "Agency", "Agency Name", "Complaint Type", "Descriptor",
    "Location Type", "Incident Zip", "Incident Address", "Street Name", "Cross Street 1", "Cross Street 2",
    "Intersection Street 1", "Intersection Street 2", "Address Type", "City", "Landmark", "Facility Type",
    "Status", "Due Date", "Resolution Description", "Resolution Action Updated Date", "Community Board",
    "BBL", "Borough", "X Coordinate (State Plane)", "Y Coordinate (State Plane)", "Open Data Channel Type",
    "Park Facility Name", "Park Borough", "Vehicle Type", "Taxi Company Borough", "Taxi Pick Up Location",
    "Bridge Highway Name", "Bridge Highway Direction", "Road Ramp", "Bridge Highway Segment", "Latitude",
    "Longitude", "Location",
)

# The portal export's names of the columns the pipeline reads; every other delivered column is kept
# in bronze as it came.
UNIQUE_KEY = "Unique Key"
CREATED_DATE = "Created Date"
CLOSED_DATE = "Closed Date"
AGENCY = "Agency"
COMPLAINT_TYPE = "Complaint Type"
DESCRIPTOR = "Descriptor"
STATUS = "Status"
BOROUGH = "Borough"
INCIDENT_ZIP = "Incident Zip"
COMMUNITY_BOARD = "Community Board"
CHANNEL = "Open Data Channel Type"
RESOLUTION_UPDATED = "Resolution Action Updated Date"
LATITUDE = "Latitude"
LONGITUDE = "Longitude"

PORTAL_COLUMNS = (
    UNIQUE_KEY,
    CREATED_DATE,
    CLOSED_DATE,
    AGENCY,
    COMPLAINT_TYPE,
    DESCRIPTOR,
    STATUS,
    BOROUGH,
    INCIDENT_ZIP,
    COMMUNITY_BOARD,
    CHANNEL,
    RESOLUTION_UPDATED,
    LATITUDE,
    LONGITUDE,
)


def field_name(display_name: str) -> str:
    """The Socrata API's name of a portal column: "X Coordinate (State Plane)" -> x_coordinate_state_plane."""
    return re.sub(r"[^a-z0-9]+", "_", display_name.lower()).strip("_")


def spellings(display_name: str) -> tuple[str, str]:
    """Both names a column may arrive under."""
    return display_name, field_name(display_name)


SOCRATA_COLUMNS = tuple(field_name(name) for name in PORTAL_COLUMNS)
SOCRATA_HEADER = tuple(field_name(name) for name in PORTAL_HEADER)
REQUIRED_COLUMNS = DeliveryColumns(
    spellings=(PORTAL_COLUMNS, SOCRATA_COLUMNS),
    layouts=(PORTAL_HEADER, SOCRATA_HEADER),
    # Socrata adds derived georegion columns to API exports: expected, kept in bronze, not drift.
    expected_extra=r"^:@computed_region_",
)
