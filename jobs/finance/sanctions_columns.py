"""What a sanctions-list delivery holds, without Spark, so that landing (in the Airflow worker) can check it.

OFAC's SDN list in its legacy CSV format: ``sdn.csv``, ``alt.csv`` and ``add.csv``, with no header row,
their columns fixed by position (``jobs/finance/ofac.py``). Landing accepts only these three files and
refuses one whose lines do not have its layout's number of fields, naming file and line.
"""

from __future__ import annotations

from jobs.finance.ofac import LAYOUTS
from jobs.landing import DeliveryColumns

SOURCE = "ofac_sdn"

REQUIRED_COLUMNS = DeliveryColumns(spellings=(), headerless=tuple(LAYOUTS.items()))
