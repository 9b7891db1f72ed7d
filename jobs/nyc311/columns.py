"""The columns of a 311 delivery, without Spark, so that landing (in the Airflow worker) can check them."""

SOURCE = "nyc_311"

# The portal CSV export's header names of the columns the pipeline reads; every other delivered
# column is kept in bronze as it came.
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

REQUIRED_COLUMNS = (
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
