"""The columns of a DSNY monthly tonnage delivery, without Spark, so that landing can check them.

NYC Open Data's "DSNY Monthly Tonnage Data" (ebb7-mvp5): one row per month and community district.
The portal's CSV export names columns in capitals (``MONTH``, ``REFUSETONSCOLLECTED``); the Socrata API
spells the same fields in lower case. MONTH is "YYYY / MM"; an empty tonnage means that stream was
not collected.
"""

from __future__ import annotations

from jobs.landing import DeliveryColumns

SOURCE = "nyc_dsny_waste"

PORTAL_HEADER = (
    "MONTH", "BOROUGH", "COMMUNITYDISTRICT", "REFUSETONSCOLLECTED", "PAPERTONSCOLLECTED", "MGPTONSCOLLECTED",
    "RESORGANICSTONS", "SCHOOLORGANICTONS", "LEAVESORGANICTONS", "XMASTREETONS", "BOROUGH_ID",
)
REQUIRED = ("MONTH", "BOROUGH", "COMMUNITYDISTRICT", "REFUSETONSCOLLECTED", "PAPERTONSCOLLECTED", "MGPTONSCOLLECTED")
# Streams: refuse goes to landfill; paper, metal/glass/plastic (MGP) and organics are diverted from it.
ORGANICS = ("RESORGANICSTONS", "SCHOOLORGANICTONS", "LEAVESORGANICTONS", "XMASTREETONS")
TONNAGES = ("REFUSETONSCOLLECTED", "PAPERTONSCOLLECTED", "MGPTONSCOLLECTED", *ORGANICS)

REQUIRED_COLUMNS = DeliveryColumns(
    spellings=(REQUIRED, tuple(name.lower() for name in REQUIRED)),
    layouts=(PORTAL_HEADER, tuple(name.lower() for name in PORTAL_HEADER)),
)
